import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessGuard } from './access.guard';
import { ApiKeyAuthService } from './api-key-auth.service';
import { BearerStrategy } from './bearer.strategy';
import { HeraldErrorFilter } from './error.filter';

/** HTTP kernel shared by every API feature: auth, access rules, error mapping. */
@Global()
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [
    ApiKeyAuthService,
    BearerStrategy,
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_FILTER, useClass: HeraldErrorFilter },
  ],
  exports: [ApiKeyAuthService],
})
export class ApiCoreModule {}
