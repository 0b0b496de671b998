export * from './delivery-status';
export * from './retry-policy';
export * from './delivery-wakeups';
export * from './delivery-lane.repository';
export * from './operational-event.rows';
export * from './operational-events';
export * from './deliveries.module';
