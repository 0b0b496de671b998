import { Injectable } from '@nestjs/common';
import { PrismaService } from '@herald/db';
import { OperatorDb } from '@herald/tenancy';
import type { CircuitState } from '@herald/deliveries';

/** Counting stops here: a scrape must stay cheap however deep the backlog is. */
export const DUE_COUNT_CAP = 100_000;

/**
 * Installation-wide backlog figures for /metrics (a deliberate cross-tenant read: operators
 * see the whole queue; no payload or secret is read).
 */
@Injectable()
export class BacklogRepository {
  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(operator: OperatorDb) {
    this.db = operator.client;
  }

  /** Pending deliveries that are due and not claimed, counted up to DUE_COUNT_CAP. */
  async dueCount(): Promise<number> {
    const rows = await this.db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM (
        SELECT 1 FROM deliveries
        WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())
        LIMIT ${DUE_COUNT_CAP}
      ) due`;
    return Number(rows[0]?.n ?? 0);
  }

  /** Deliveries claimed by a dispatcher and not recorded yet. */
  async inFlightCount(): Promise<number> {
    const rows = await this.db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE status = 'pending' AND lease_until > now() LIMIT ${DUE_COUNT_CAP}) leased`;
    return Number(rows[0]?.n ?? 0);
  }

  /** The earliest next_attempt_at of a due, unclaimed delivery, or null. */
  async oldestDueAt(): Promise<Date | null> {
    const rows = await this.db.$queryRaw<{ at: Date | null }[]>`
      SELECT min(next_attempt_at) AS at FROM deliveries
      WHERE status = 'pending' AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until <= now())`;
    return rows[0]?.at ?? null;
  }

  /** Endpoints whose circuit is not closed (at most `limit`). */
  async openCircuits(limit: number): Promise<{ tenantId: string; endpointId: string; state: CircuitState }[]> {
    return this.db.$queryRaw<{ tenantId: string; endpointId: string; state: CircuitState }[]>`
      SELECT tenant_id AS "tenantId", id AS "endpointId", circuit_state AS state FROM endpoints
      WHERE circuit_state <> 'closed' ORDER BY circuit_opened_at LIMIT ${limit}`;
  }
}
