import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '@herald/db';
import type { TenantScope } from './tenancy';

export type AuditLogRow = Prisma.AuditLogEntryGetPayload<object>;

/** The audit log's queries; the hash chain's rules are AuditService's. */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Serialises writers of one tenant's chain (released at commit or rollback) and returns the
   * chain's last link.
   */
  async lockChainEnd(tx: Prisma.TransactionClient, scope: TenantScope): Promise<{ seq: bigint; hash: string } | null> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('audit:' || ${scope.tenantId}))`;
    return tx.auditLogEntry.findFirst({ where: { tenantId: scope.tenantId }, orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  }

  async insert(tx: Prisma.TransactionClient, scope: TenantScope, row: Omit<Prisma.AuditLogEntryUncheckedCreateInput, 'tenantId'>): Promise<void> {
    await tx.auditLogEntry.create({ data: { ...row, tenantId: scope.tenantId } });
  }

  /** Runs `work` in a transaction of its own (an entry for an action that changed nothing else). */
  inOwnTransaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  /** The chain position of the tenant's entry with this id, or null when it has none. */
  async seqOf(scope: TenantScope, id: string): Promise<bigint | null> {
    const found = await this.prisma.auditLogEntry.findFirst({ where: { tenantId: scope.tenantId, id }, select: { seq: true } });
    return found?.seq ?? null;
  }

  /** Up to `take` entries in chain order, within the bounds given. */
  list(scope: TenantScope, seq: { gt?: bigint; lt?: bigint; gte?: bigint }, sort: 'asc' | 'desc', take: number): Promise<AuditLogRow[]> {
    const bounded = seq.gt !== undefined || seq.lt !== undefined || seq.gte !== undefined;
    return this.prisma.auditLogEntry.findMany({ where: { tenantId: scope.tenantId, ...(bounded ? { seq } : {}) }, orderBy: { seq: sort }, take });
  }
}
