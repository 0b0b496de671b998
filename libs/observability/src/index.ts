export * from './logger';
export * from './heartbeat';
export * from './metrics';
export * from './heartbeat.service';
export * from './shutdown';
export * from './heartbeat.module';
export * from './metrics-server';
export * from './timeout';
