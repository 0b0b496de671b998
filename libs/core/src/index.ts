export * from './errors';
export * from './tenancy';
export * from './pagination';
export * from './db-types';
export * from './audit.service';
export * from './tenant-keys.service';
export * from './core.module';
