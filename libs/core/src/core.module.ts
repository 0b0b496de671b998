import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { TenantKeysService } from './tenant-keys.service';
import { TenantProvisioningService } from './tenant-provisioning.service';

@Global()
@Module({ providers: [AuditService, TenantKeysService, TenantProvisioningService],
  exports: [AuditService, TenantKeysService, TenantProvisioningService],
 })
export class CoreModule {}
