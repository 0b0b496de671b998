export * from './tenant-admin.module';
export * from './tenant.mappers';
export * from './tenant.schemas';
export * from './api-key.schemas';
export * from './tenant-settings.schemas';
export * from './audit-log.schemas';
export * from './operator-overview.schemas';
