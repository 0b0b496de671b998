import { Injectable } from '@nestjs/common';
import type { TenantTx } from '@herald/tenancy';
import { PrismaService } from '@herald/db';

/** Who owns an idempotency key: a tenant id, or the operator sentinel. */
export type IdempotencyOwner = string;
export const OPERATOR_IDEMPOTENCY_OWNER = 'operator';

export interface StoredIdempotencyRecord {
  requestHash: string;
  /** NULL while the first request is still being processed. */
  responseStatus: number | null;
  /** The response body, encrypted (see IdempotencySealer); null when there was none. */
  responseSealed: Buffer | null;
}

export type Reservation = { reserved: true; createdAt: Date } | { reserved: false; existing: StoredIdempotencyRecord | null };

/**
 * idempotency_records, keyed by (owner, key). A request first claims its key (a row with no
 * response and a lease), renews the lease while it runs, then completes the row with its
 * response. The claim is one statement, so two concurrent requests with one key cannot both win it.
 */
@Injectable()
export class IdempotencyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Claims `key` for `leaseMs` unless a live record holds it. An expired record, or a claim
   * whose lease lapsed without a response (its process died or lost the database), is overwritten.
   * The database's clock decides, so API hosts with skewed clocks agree.
   */
  async reserve(owner: IdempotencyOwner, key: string, requestHash: string, ttlMs: number, leaseMs: number): Promise<Reservation> {
    const won = await this.prisma.$queryRaw<{ created_at: Date }[]>`
      INSERT INTO idempotency_records (tenant_id, key, request_hash, created_at, expires_at, lease_expires_at)
      VALUES (${owner}, ${key}, ${requestHash}, now(), now() + ${ttlMs} * interval '1 millisecond', now() + ${leaseMs} * interval '1 millisecond')
      ON CONFLICT (tenant_id, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash,
            response_status = NULL,
            response_body = NULL,
            created_at = EXCLUDED.created_at,
            expires_at = EXCLUDED.expires_at,
            lease_expires_at = EXCLUDED.lease_expires_at
        WHERE idempotency_records.expires_at <= now()
           OR (idempotency_records.response_status IS NULL
               AND COALESCE(idempotency_records.lease_expires_at, '-infinity') <= now())
      RETURNING created_at`;
    const row = won[0];
    if (row) return { reserved: true, createdAt: row.created_at };
    const existing = await this.prisma.idempotencyRecord.findUnique({
      where: { tenantId_key: { tenantId: owner, key } },
      select: { requestHash: true, responseStatus: true, responseBody: true },
    });
    if (!existing) return { reserved: false, existing: null };
    const sealed = (existing.responseBody as { sealed?: unknown } | null)?.sealed;
    return {
      reserved: false,
      existing: {
        requestHash: existing.requestHash,
        responseStatus: existing.responseStatus,
        responseSealed: typeof sealed === 'string' ? Buffer.from(sealed, 'base64') : null,
      },
    };
  }

  /** Extends the lease of the claim made at `createdAt` while its request still runs. */
  async renew(owner: IdempotencyOwner, key: string, createdAt: Date, leaseMs: number): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE idempotency_records
         SET lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
       WHERE tenant_id = ${owner} AND key = ${key} AND created_at = ${createdAt} AND response_status IS NULL`;
  }

  /** Stores the final response of the reservation made at `createdAt` (not of a later one). */
  async complete(owner: IdempotencyOwner, key: string, createdAt: Date, status: number, sealedBody: Buffer | null, resourceId: string | null): Promise<void> {
    const json = sealedBody === null ? null : JSON.stringify({ sealed: sealedBody.toString('base64') });
    await this.prisma.$executeRaw`
      UPDATE idempotency_records
         SET response_status = ${status}, response_body = ${json}::jsonb, lease_expires_at = NULL, resource_id = ${resourceId}
       WHERE tenant_id = ${owner} AND key = ${key} AND created_at = ${createdAt}`;
  }

  /** Drops an unfinished reservation so the client may retry (after a 5xx). */
  async release(owner: IdempotencyOwner, key: string, createdAt: Date): Promise<void> {
    await this.prisma.$executeRaw`
      DELETE FROM idempotency_records
       WHERE tenant_id = ${owner} AND key = ${key} AND created_at = ${createdAt} AND response_status IS NULL`;
  }

  /**
   * Deletes the kept responses that created `resourceId` (right to erasure: they may contain its
   * content), in the caller's transaction. A retry with such a key afterwards runs again.
   */
  async forgetResource({ db, scope }: TenantTx, resourceId: string): Promise<number> {
    return db.$executeRaw`DELETE FROM idempotency_records WHERE tenant_id = ${scope.tenantId} AND resource_id = ${resourceId}`;
  }
}
