import { Injectable } from '@nestjs/common';
import { newId } from '@herald/db';
import type { TenantTx } from './unit-of-work';

export interface NewTenant {
  name: string;
  dataKeyWrapped: Uint8Array<ArrayBuffer>;
  payloadRetentionDays: number;
  apiKey: { hash: Uint8Array<ArrayBuffer>; prefix: string };
}

/** The rows a new tenant starts with, written in the transaction bound to its new scope. */
@Injectable()
export class TenantProvisioningRepository {
  async insert({ db, scope }: TenantTx, t: NewTenant) {
    const tenant = await db.tenant.create({ data: { id: scope.tenantId, name: t.name, dataKeyWrapped: t.dataKeyWrapped } });
    await db.tenantSettings.create({
      data: {
        tenantId: scope.tenantId,
        payloadRetentionDays: t.payloadRetentionDays,
        attemptRetentionDays: t.payloadRetentionDays,
        // Metadata (who got what, when) outlives payloads by default, as Svix keeps it.
        metadataRetentionDays: Math.max(t.payloadRetentionDays, 90),
      },
    });
    const apiKey = await db.apiKey.create({
      data: {
        id: newId('key'),
        tenantId: scope.tenantId,
        name: 'default',
        keyHash: t.apiKey.hash,
        keyPrefix: t.apiKey.prefix,
        scopes: ['all'],
        allowedCidrs: [],
      },
    });
    return { tenant, apiKey };
  }
}
