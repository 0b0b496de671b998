export * from './dispatch.module';
export * from './dispatch.metrics';
export * from './dispatch.service';
export * from './lane-scheduler';
export * from './lane-sweep.service';
export * from './endpoint-health.service';
