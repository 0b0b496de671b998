import { DeliveriesModule } from '@herald/deliveries';
import { Module } from '@nestjs/common';
import { AppAccessService } from './app-access.service';
import { AppPortalController } from './app-portal.controller';
import { AppPortalRepository } from './app-portal.repository';
import { AppPortalService } from './app-portal.service';
import { ApplicationController } from './application.controller';
import { ApplicationRepository } from './application.repository';
import { ApplicationService } from './application.service';
import { EndpointController } from './endpoint.controller';
import { EndpointRepository } from './endpoint.repository';
import { EndpointService } from './endpoint.service';
import { OperationalEndpointController } from './operational-endpoint.controller';
import { OperationalEndpointService } from './operational-endpoint.service';
import { EventTypeController } from './event-type.controller';
import { EventTypeRepository } from './event-type.repository';
import { EventTypeService } from './event-type.service';

/** Svix-compatible management API: applications, event types, endpoints, app-portal access. */
@Module({
  imports: [DeliveriesModule],
  controllers: [ApplicationController, EventTypeController, EndpointController, AppPortalController, OperationalEndpointController],
  providers: [
    ApplicationRepository,
    EventTypeRepository,
    EndpointRepository,
    AppPortalRepository,
    AppAccessService,
    ApplicationService,
    EventTypeService,
    EndpointService,
    AppPortalService,
    OperationalEndpointService,
  ],
  exports: [OperationalEndpointService, ApplicationService],
})
export class AppConfigModule {}
