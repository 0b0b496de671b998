import { Global, Module, type DynamicModule } from '@nestjs/common';
import { loadConfigFromProcess, type HeraldConfig } from './config';

/** Injection token for {@link HeraldConfig}. */
export const HERALD_CONFIG = Symbol('HERALD_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** Validates the environment once (or takes a ready config, in tests). */
  static forRoot(config: HeraldConfig = loadConfigFromProcess()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: HERALD_CONFIG, useValue: config }], exports: [HERALD_CONFIG] };
  }
}
