export * from './messaging.module';
export * from './endpoint-routing';
export * from './message-status';
export * from './message.mappers';
export * from './message.responses';
