import { Module, type DynamicModule } from '@nestjs/common';
import { REDIS } from '@herald/queue';
import type { ProcessKind } from './heartbeat';
import { HEARTBEAT_REDIS, HeartbeatService, PROCESS_KIND } from './heartbeat.service';

@Module({})
export class HeartbeatModule {
  static forProcess(kind: ProcessKind): DynamicModule {
    return {
      module: HeartbeatModule,
      providers: [
        HeartbeatService,
        { provide: PROCESS_KIND, useValue: kind },
        { provide: HEARTBEAT_REDIS, useExisting: REDIS },
      ],
    };
  }
}
