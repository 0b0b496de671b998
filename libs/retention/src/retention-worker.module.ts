import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { RETENTION_QUEUE } from '@herald/queue';
import { DataRetentionModule } from './data-retention.module';
import { RetentionLifecycleService } from './retention-lifecycle.service';
import { RetentionProcessor } from './retention.processor';

/**
 * The retention worker: the scheduler and the processor on top of DataRetentionModule. Needs
 * ConfigModule, DbModule, RedisModule, TenancyModule and bullRoot() from the host app.
 */
@Module({
  imports: [BullModule.registerQueue({ name: RETENTION_QUEUE }), DataRetentionModule],
  providers: [RetentionProcessor, RetentionLifecycleService],
  exports: [DataRetentionModule],
})
export class RetentionWorkerModule {}
