export * from './access.decorator';
export * from './access.guard';
export * from './api-key-auth.service';
export * from './api-core.module';
export * from './cidr';
export * from './error.filter';
export * from './principal';
export * from './zod.pipe';
