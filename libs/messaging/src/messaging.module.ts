import { Module } from '@nestjs/common';
import { DeliveriesModule } from '@herald/deliveries';
import { AppConfigModule } from '@herald/app-config';
import { TasksModule } from '@herald/tasks';
import { AttemptController } from './attempt.controller';
import { AttemptRepository } from './attempt.repository';
import { AttemptService } from './attempt.service';
import { BackgroundTaskController } from './background-task.controller';
import { BackgroundTaskService } from './background-task.service';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { MessageController } from './message.controller';
import { MessageRepository } from './message.repository';
import { MessageService } from './message.service';
import { MessagingLookupService } from './messaging-lookup.service';
import { PayloadSchemaValidator } from './payload-schema.validator';

/** Messages in, fanned out to deliveries (the dispatchers are woken after commit); attempts out. */
@Module({
  imports: [DeliveriesModule, TasksModule, AppConfigModule],
  controllers: [MessageController, AttemptController, BackgroundTaskController],
  providers: [
    MessageRepository,
    DeliveryRepository,
    AttemptRepository,
    MessagingLookupService,
    PayloadSchemaValidator,
    MessageService,
    AttemptService,
    DeliveryService,
    BackgroundTaskService,
  ],
})
export class MessagingModule {}
