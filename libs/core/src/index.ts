export * from './errors';
export * from './tenancy';
export * from './db-types';
export * from './audit.service';
export * from './tenant-keys.service';
export * from './core.module';
export * from './api-key-material';
export * from './tenant-provisioning.service';
