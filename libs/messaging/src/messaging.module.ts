import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { bullRoot, DELIVERY_QUEUE } from '@herald/queue';
import { AttemptController } from './attempt.controller';
import { AttemptRepository } from './attempt.repository';
import { AttemptService } from './attempt.service';
import { DeliveryQueueRepository } from './delivery-queue.repository';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';
import { MessageController } from './message.controller';
import { MessageRepository } from './message.repository';
import { MessageService } from './message.service';
import { MessagingLookupService } from './messaging-lookup.service';
import { PayloadSchemaValidator } from './payload-schema.validator';

/**
 * Messages in, fanned out to deliveries, enqueued for the dispatcher; attempts out. Owns the
 * API process's BullMQ root connection and the producer side of the deliveries queue.
 */
@Module({
  imports: [
    bullRoot(),
    // The root connection is shared and never closed by BullMQ itself: let the queue close it.
    BullModule.registerQueue({ name: DELIVERY_QUEUE, forceDisconnectOnShutdown: true }),
  ],
  controllers: [MessageController, AttemptController],
  providers: [
    MessageRepository,
    DeliveryRepository,
    AttemptRepository,
    DeliveryQueueRepository,
    MessagingLookupService,
    PayloadSchemaValidator,
    MessageService,
    AttemptService,
    DeliveryService,
  ],
})
export class MessagingModule {}
