import { Injectable } from '@nestjs/common';
import { OperatorDb, SYSTEM_AUDIT_CONTEXT, type TenantTx } from '@herald/tenancy';
import { PrismaService } from '@herald/db';

export interface DisabledEndpoint {
  id: string;
  tenantId: string;
  appId: string;
  appUid: string | null;
  uid: string | null;
  failingSince: Date | null;
  /** An endpoint of the tenant's operational application. */
  operational: boolean;
}

@Injectable()
export class EndpointHealthRepository {
  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(operator: OperatorDb) {
    this.db = operator.client;
  }

  /**
   * Enabled endpoints failing since before `cutoff`, across tenants (the periodic health
   * check works for the whole installation; each row carries its tenant).
   */
  async findFailingSince(cutoff: Date, limit: number): Promise<{ id: string; tenantId: string }[]> {
    return this.db.$queryRaw<{ id: string; tenantId: string }[]>`
      SELECT id, tenant_id AS "tenantId" FROM endpoints
      WHERE disabled = false AND failing_since < ${cutoff}
      ORDER BY failing_since
      LIMIT ${limit}`;
  }

  /**
   * Disables an endpoint of the transaction's tenant (if still enabled and, when
   * `failingBefore` is given, still failing since before it) and records it in the tenant's
   * audit log. Returns the endpoint when this call disabled it.
   */
  async disable(tx: TenantTx, endpointId: string, reason: string, failingBefore: Date | undefined): Promise<DisabledEndpoint | null> {
    const { db, scope } = tx;
    const rows = await db.$queryRaw<DisabledEndpoint[]>`
      UPDATE endpoints AS e SET disabled = true, disabled_reason = ${reason}, updated_at = now()
      FROM applications a
      WHERE e.id = ${endpointId} AND e.tenant_id = ${scope.tenantId} AND e.disabled = false
        AND a.id = e.app_id AND a.tenant_id = e.tenant_id
        AND (${failingBefore ?? null}::timestamptz IS NULL OR e.failing_since < ${failingBefore ?? null}::timestamptz)
      RETURNING e.id, e.tenant_id AS "tenantId", e.app_id AS "appId", a.uid AS "appUid", e.uid, e.failing_since AS "failingSince",
                a.kind = 'operational' AS operational`;
    const row = rows[0];
    if (!row) return null;
    await tx.audit(SYSTEM_AUDIT_CONTEXT, {
      action: 'endpoint.disabled',
      target: { type: 'endpoint', id: endpointId },
      details: { reason, appId: row.appId },
    });
    return row;
  }
}
