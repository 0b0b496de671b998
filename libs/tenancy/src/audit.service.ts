import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { newId, type Prisma } from '@herald/db';
import { AuditLogRepository } from './audit-log.repository';
import type { TenantScope } from './tenancy';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditActor {
  type: 'api_key' | 'operator' | 'app_portal' | 'system';
  id: string | null;
}

export interface AuditEvent {
  action: string;
  target: { type: string; id: string | null };
  details?: Record<string, unknown>;
}

/** Who did it and from where: filled by the HTTP layer, or 'system' for workers. */
export interface AuditContext {
  actor: AuditActor;
  ip: string | null;
  requestId: string | null;
}

export const SYSTEM_AUDIT_CONTEXT: AuditContext = { actor: { type: 'system', id: null }, ip: null, requestId: null };

export interface AuditEntryView {
  id: string;
  action: string;
  actor: AuditActor;
  target: { type: string; id: string | null };
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
  prevHash: string;
  hash: string;
}

interface HashInput {
  tenantId: string;
  seq: bigint;
  action: string;
  actorType: string;
  actorId: string | null;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  details: unknown;
  createdAt: Date;
  prevHash: string;
}

/**
 * JSON with object keys sorted at every level. `details` is stored as jsonb, which keeps its
 * own key order, so the hash must not depend on the order the writer used.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The hash covers every field a reader sees, in a fixed order, plus the previous hash. */
export function auditEntryHash(e: HashInput): string {
  const canonical = canonicalJson([
    e.tenantId,
    e.seq.toString(),
    e.action,
    e.actorType,
    e.actorId,
    e.targetType,
    e.targetId,
    e.ip,
    e.requestId,
    e.details ?? null,
    e.createdAt.toISOString(),
    e.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Tamper-evident audit log: entries of a tenant form a hash chain. Writes happen inside the
 * caller's transaction so an entry exists exactly when the change it records does.
 */
@Injectable()
export class AuditService {
  constructor(private readonly log: AuditLogRepository) {}

  async record(tx: Prisma.TransactionClient, scope: TenantScope, ctx: AuditContext, event: AuditEvent): Promise<void> {
    const last = await this.log.lockChainEnd(tx, scope);
    const seq = (last?.seq ?? 0n) + 1n;
    const prevHash = last?.hash ?? GENESIS_HASH;
    // Millisecond precision matches the column, so the stored time re-hashes identically.
    const createdAt = new Date(Math.floor(Date.now()));
    const details = (event.details ?? null) as Prisma.InputJsonValue | null;
    const base: HashInput = {
      tenantId: scope.tenantId,
      seq,
      action: event.action,
      actorType: ctx.actor.type,
      actorId: ctx.actor.id,
      targetType: event.target.type,
      targetId: event.target.id,
      ip: ctx.ip,
      requestId: ctx.requestId,
      details,
      createdAt,
      prevHash,
    };
    await this.log.insert(tx, scope, {
      id: newId('aud', createdAt),
      seq,
      action: base.action,
      actorType: base.actorType,
      actorId: base.actorId,
      targetType: base.targetType,
      targetId: base.targetId,
      ip: base.ip,
      requestId: base.requestId,
      details: details ?? undefined,
      createdAt,
      prevHash,
      hash: auditEntryHash(base),
    });
  }

  /** Writes one entry in its own transaction (for actions that change nothing else). */
  async recordNow(scope: TenantScope, ctx: AuditContext, event: AuditEvent): Promise<void> {
    await this.log.inOwnTransaction((tx) => this.record(tx, scope, ctx, event));
  }

  /**
   * One read of a page of entries in chain order (`seq`): up to `limit + 1` entries newer or
   * older than the entries named by id, in `sort` order. The chain order, not the id, decides:
   * entries written by several processes in one millisecond keep their chain order.
   */
  async list(scope: TenantScope, page: { limit: number; sort: 'asc' | 'desc'; newerThan?: string; olderThan?: string }): Promise<AuditEntryView[]> {
    const seq: { gt?: bigint; lt?: bigint } = {};
    for (const [bound, id] of [['gt', page.newerThan], ['lt', page.olderThan]] as const) {
      if (id === undefined) continue;
      const cursor = await this.log.seqOf(scope, id);
      // An entry this tenant does not have: nothing follows it.
      if (cursor === null) return [];
      seq[bound] = cursor;
    }
    const found = await this.log.list(scope, seq, page.sort, page.limit + 1);
    return found.map((r) => ({
      id: r.id,
      action: r.action,
      actor: { type: r.actorType as AuditActor['type'], id: r.actorId },
      target: { type: r.targetType, id: r.targetId },
      ip: r.ip,
      requestId: r.requestId,
      details: (r.details as Record<string, unknown> | null) ?? null,
      createdAt: r.createdAt.toISOString(),
      prevHash: r.prevHash,
      hash: r.hash,
    }));
  }

  /** Recomputes the chain from the first entry; names the first entry that does not fit. */
  async verify(scope: TenantScope): Promise<{ ok: true; checked: number } | { ok: false; checked: number; brokenAt: string }> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1n;
    let checked = 0;
    for (;;) {
      const batch = await this.log.list(scope, { gte: expectedSeq }, 'asc', 1000);
      if (batch.length === 0) return { ok: true, checked };
      for (const row of batch) {
        checked += 1;
        const recomputed = auditEntryHash({ ...row, details: row.details ?? null });
        if (row.seq !== expectedSeq || row.prevHash !== prevHash || row.hash !== recomputed) {
          return { ok: false, checked, brokenAt: row.id };
        }
        prevHash = row.hash;
        expectedSeq += 1n;
      }
    }
  }
}
