export * from './test-config';
export * from './test-database';
export * from './factories';
export * from './webhook-receiver';
export * from './dns-server';
export * from './wakeup-recorder';
export * from './private-services';
