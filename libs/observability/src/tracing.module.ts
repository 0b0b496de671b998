import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { shutdownTracing } from './tracing';

/** Exports the last spans when the process stops: after the drain (onModuleDestroy), so its attempts are in. */
@Injectable()
export class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTracing();
  }
}

@Module({ providers: [TracingShutdown] })
export class TracingModule {}
