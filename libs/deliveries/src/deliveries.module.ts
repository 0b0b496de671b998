import { Module } from '@nestjs/common';
import { DeliveryLaneRepository } from './delivery-lane.repository';
import { DeliveryWakeupListener, DeliveryWakeups } from './delivery-wakeups';
import { OperationalEvents } from './operational-events';

/**
 * Deliveries as the API and the dispatcher share them: wake-ups, lanes, operational events.
 * Needs ConfigModule, DbModule, RedisModule and TenancyModule from the host app.
 */
@Module({
  providers: [DeliveryWakeups, DeliveryWakeupListener, DeliveryLaneRepository, OperationalEvents],
  exports: [DeliveryWakeups, DeliveryWakeupListener, DeliveryLaneRepository, OperationalEvents],
})
export class DeliveriesModule {}
