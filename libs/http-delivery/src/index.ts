export * from './dns-resolver';
export * from './guarded-connector';
export * from './http-delivery.client';
export * from './herald-version';
