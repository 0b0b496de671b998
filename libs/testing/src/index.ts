export * from './test-config';
export * from './test-database';
export * from './factories';
export * from './webhook-receiver';
