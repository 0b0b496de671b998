export * from './config';
export * from './config.module';
export { envSchema } from './config.schema';
