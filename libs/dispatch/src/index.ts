export * from './dispatch.module';
export * from './dispatch.metrics';
export * from './dispatch.service';
export * from './delivery.processor';
export * from './outbox-sweep.service';
export * from './endpoint-health.service';
export * from './operational-webhook.service';
export * from './retry-policy';
