import { Global, Module } from '@nestjs/common';
import { AuditService } from './audit.service';
import { TenantKeysService } from './tenant-keys.service';

@Global()
@Module({ providers: [AuditService, TenantKeysService], exports: [AuditService, TenantKeysService] })
export class CoreModule {}
