import { Injectable } from '@nestjs/common';
import { PrismaService } from '@herald/db';

export interface DeliveryBacklogRow {
  due: number;
  scheduled: number;
}

export interface FailingEndpointRow {
  tenantId: string;
  appId: string;
  endpointId: string;
  url: string;
  failingSince: Date;
}

/**
 * The operator's cross-tenant reads (queue depth, failing endpoints). Deliberately not
 * tenant-scoped: only the operator overview route uses it, and it returns ids and URLs, never
 * a payload or a secret. Every other repository takes a tenant scope.
 */
@Injectable()
export class OperatorOverviewRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Pending deliveries due now and later (served by the partial index on pending deliveries). */
  async deliveryBacklog(): Promise<DeliveryBacklogRow> {
    const [row] = await this.prisma.$queryRaw<{ due: bigint; scheduled: bigint }[]>`
      SELECT count(*) FILTER (WHERE next_attempt_at <= now()) AS due,
             count(*) FILTER (WHERE next_attempt_at > now()) AS scheduled
        FROM deliveries
       WHERE status = 'pending'`;
    return { due: Number(row?.due ?? 0), scheduled: Number(row?.scheduled ?? 0) };
  }

  /** Enabled endpoints of live tenants that have been failing, oldest failure first. */
  failingEndpoints(limit: number): Promise<FailingEndpointRow[]> {
    return this.prisma.$queryRaw<FailingEndpointRow[]>`
      SELECT e.tenant_id AS "tenantId", e.app_id AS "appId", e.id AS "endpointId", e.url, e.failing_since AS "failingSince"
        FROM endpoints e
        JOIN tenants t ON t.id = e.tenant_id AND t.deleted_at IS NULL
       WHERE e.failing_since IS NOT NULL AND e.disabled = false
       ORDER BY e.failing_since, e.id
       LIMIT ${limit}`;
  }
}
