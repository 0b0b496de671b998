import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';
import { AuditService } from './audit.service';
import { TenantKeyRepository } from './tenant-key.repository';
import { TenantKeysService } from './tenant-keys.service';
import { TenantProvisioningRepository } from './tenant-provisioning.repository';
import { TenantProvisioningService } from './tenant-provisioning.service';
import { OperatorDb } from './operator-db';
import { TenantUnitOfWork } from './unit-of-work';

@Global()
@Module({ providers: [AuditLogRepository, AuditService, TenantKeyRepository, TenantKeysService, TenantProvisioningRepository, TenantProvisioningService, TenantUnitOfWork, OperatorDb],
  exports: [AuditService, TenantKeysService, TenantProvisioningService, TenantUnitOfWork, OperatorDb],
})
export class TenancyModule {}
