import { Module } from '@nestjs/common';
import { AppConfigModule } from '@herald/app-config';
import { ApiKeyController } from './api-key.controller';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { AuditLogController } from './audit-log.controller';
import { AuditLogService } from './audit-log.service';
import { DocsController } from './docs.controller';
import { OperatorOverviewController } from './operator-overview.controller';
import { OperatorOverviewRepository } from './operator-overview.repository';
import { OperatorOverviewService } from './operator-overview.service';
import { TenantSettingsController } from './tenant-settings.controller';
import { TenantSettingsRepository } from './tenant-settings.repository';
import { TenantSettingsService } from './tenant-settings.service';
import { TenantController } from './tenant.controller';
import { TenantRepository } from './tenant.repository';
import { TenantService } from './tenant.service';

/** The tenant platform: operator tenant API and overview, API keys, tenant settings, audit log, API docs. */
@Module({
  imports: [AppConfigModule],
  controllers: [TenantController, OperatorOverviewController, ApiKeyController, TenantSettingsController, AuditLogController, DocsController],
  providers: [OperatorOverviewRepository, OperatorOverviewService, TenantRepository, TenantService, ApiKeyRepository, ApiKeyService, TenantSettingsRepository, TenantSettingsService, AuditLogService],
})
export class TenantAdminModule {}
