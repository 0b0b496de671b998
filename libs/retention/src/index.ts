export * from './data-retention.module';
export * from './retention-worker.module';
export * from './retention.service';
export * from './retention-policy';
export * from './retention.metrics';
export * from './retention.processor';
export * from './retention-lifecycle.service';
export * from './key-rewrap.service';
