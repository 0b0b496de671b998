import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { PrismaService, type Prisma } from '@herald/db';
import { mapWriteErrors } from './prisma-errors';

export interface EndpointRow {
  id: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  version: number;
  throttleRate: number | null;
  disabled: boolean;
  filterTypes: string[];
  channels: string[];
  metadata: unknown;
  /** Requests in flight at most; null: the operator default. */
  maxInFlight: number | null;
  consecutiveFailures: number;
  circuitState: string;
  circuitOpenedAt: Date | null;
  circuitProbeAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointData {
  uid: string | null;
  url: string;
  description: string;
  version: number;
  throttleRate: number | null;
  disabled: boolean;
  /** Set when `disabled` changes: why it is disabled; null when enabled. */
  disabledReason: string | null;
  /** Cleared when an endpoint is enabled again, so the health check starts afresh. */
  failingSince: null;
  filterTypes: string[];
  channels: string[];
  metadata: Record<string, string>;
  maxInFlight: number | null;
}

/** A closed circuit with no failures behind it: after the URL changed or the endpoint was enabled. */
export const FRESH_CIRCUIT = { consecutiveFailures: 0, circuitState: 'closed', circuitOpenedAt: null, circuitProbeAt: null, circuitFailedProbes: 0 } as const;

export interface StoredSecret {
  id: string;
  kind: string;
  secretEnc: Buffer;
  publicKey: string | null;
}

export interface StoredHeader {
  name: string;
  valueEnc: Buffer;
  sensitive: boolean;
}

export type DeliveryCounts = Record<string, number>;

const SELECT = {
  id: true,
  appId: true,
  uid: true,
  url: true,
  description: true,
  version: true,
  throttleRate: true,
  disabled: true,
  filterTypes: true,
  channels: true,
  metadata: true,
  maxInFlight: true,
  consecutiveFailures: true,
  circuitState: true,
  circuitOpenedAt: true,
  circuitProbeAt: true,
  createdAt: true,
  updatedAt: true,
} as const;
const DUPLICATE_UID = 'An endpoint with this uid already exists in this application';

@Injectable()
export class EndpointRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** By id or uid, inside the tenant and the application; an id match wins. */
  async find(scope: TenantScope, appId: string, idOrUid: string): Promise<EndpointRow | null> {
    const rows = await this.prisma.endpoint.findMany({
      where: { tenantId: scope.tenantId, appId, OR: [{ id: idOrUid }, { uid: idOrUid }] },
      select: SELECT,
      take: 2,
    });
    return rows.find((e) => e.id === idOrUid) ?? rows[0] ?? null;
  }

  /** By uid in an application, with why it is disabled (operational endpoints). */
  async findWithReason(scope: TenantScope, appId: string, uid: string, tx?: TenantTx): Promise<(EndpointRow & { disabledReason: string | null }) | null> {
    const db = tx?.db ?? this.prisma;
    return db.endpoint.findFirst({ where: { tenantId: scope.tenantId, appId, uid }, select: { ...SELECT, disabledReason: true } });
  }

  /** A page of the app's endpoints by id (creation time): `limit + 1` rows as the plan says. */
  async list(scope: TenantScope, appId: string, plan: PagePlan): Promise<EndpointRow[]> {
    const where: Prisma.EndpointWhereInput = { tenantId: scope.tenantId, appId, id: keyRange(plan) };
    return this.prisma.endpoint.findMany({ where, select: SELECT, orderBy: { id: plan.sort }, take: plan.limit + 1 });
  }

  /** The endpoint with its first secret and its headers, in one statement. */
  async create({ db: tx, scope }: TenantTx, id: string, appId: string, data: EndpointData, secret: StoredSecret, headers: StoredHeader[]): Promise<EndpointRow> {
    return mapWriteErrors('Endpoint', DUPLICATE_UID, () =>
      tx.endpoint.create({
        data: {
          id,
          tenantId: scope.tenantId,
          appId,
          ...data,
          // Nested rows take the endpoint's tenant_id through the composite foreign key.
          secrets: { create: secretFields(secret) },
          headers: { create: headers.map((h) => ({ name: h.name, valueEnc: new Uint8Array(h.valueEnc), sensitive: h.sensitive })) },
        },
        select: SELECT,
      }),
    );
  }

  async update({ db: tx, scope }: TenantTx, id: string, data: Partial<EndpointData>, options: { freshCircuit?: boolean } = {}): Promise<EndpointRow> {
    const circuit = options.freshCircuit ? FRESH_CIRCUIT : {};
    return mapWriteErrors('Endpoint', DUPLICATE_UID, () =>
      tx.endpoint.update({ where: { id, tenantId: scope.tenantId }, data: { ...data, ...circuit, updatedAt: new Date() }, select: SELECT }),
    );
  }

  async delete({ db: tx, scope }: TenantTx, id: string): Promise<boolean> {
    const { count } = await tx.endpoint.deleteMany({ where: { id, tenantId: scope.tenantId } });
    return count > 0;
  }

  /**
   * Locks the endpoint row for the rest of the transaction, so secret rotations and header
   * rewrites of one endpoint run one after the other. False when it no longer exists.
   */
  async lock({ db: tx, scope }: TenantTx, id: string): Promise<boolean> {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM endpoints WHERE id = ${id} AND tenant_id = ${scope.tenantId} FOR UPDATE`;
    return rows.length === 1;
  }

  // -------------------------------------------------------------------------------------------
  // Secrets

  /** The current secret (the one without an expiry). */
  async currentSecret(scope: TenantScope, endpointId: string, tx?: TenantTx): Promise<StoredSecret | null> {
    const db = tx?.db ?? this.prisma;
    const row = await db.endpointSecret.findFirst({
      where: { tenantId: scope.tenantId, endpointId, expiresAt: null },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, kind: true, secretEnc: true, publicKey: true },
    });
    return row ? { ...row, secretEnc: Buffer.from(row.secretEnc) } : null;
  }

  /**
   * Makes `secret` the current one: the previous current secret keeps signing until
   * `previousExpiresAt`; expired secrets are dropped, and so are rotated-out ones beyond the
   * `keepOld` newest. Call inside a transaction that holds the endpoint's lock.
   */
  async rotateSecret({ db: tx, scope }: TenantTx, endpointId: string, secret: StoredSecret, previousExpiresAt: Date, keepOld: number): Promise<void> {
    const now = new Date();
    await tx.endpointSecret.updateMany({ where: { tenantId: scope.tenantId, endpointId, expiresAt: null }, data: { expiresAt: previousExpiresAt } });
    await tx.endpointSecret.create({ data: { ...secretFields(secret), tenantId: scope.tenantId, endpointId } });
    await tx.endpointSecret.deleteMany({ where: { tenantId: scope.tenantId, endpointId, expiresAt: { lte: now } } });
    const old = await tx.endpointSecret.findMany({
      where: { tenantId: scope.tenantId, endpointId, expiresAt: { not: null } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: keepOld,
      select: { id: true },
    });
    if (old.length > 0) await tx.endpointSecret.deleteMany({ where: { tenantId: scope.tenantId, endpointId, id: { in: old.map((s) => s.id) } } });
  }

  // -------------------------------------------------------------------------------------------
  // Headers

  async headers(scope: TenantScope, endpointId: string, tx?: TenantTx): Promise<StoredHeader[]> {
    const db = tx?.db ?? this.prisma;
    const rows = await db.endpointHeader.findMany({
      where: { tenantId: scope.tenantId, endpointId },
      orderBy: { name: 'asc' },
      select: { name: true, valueEnc: true, sensitive: true },
    });
    return rows.map((r) => ({ ...r, valueEnc: Buffer.from(r.valueEnc) }));
  }

  /**
   * Writes `upserts` and removes `deletes`. Names match case-insensitively (a unique index on
   * lower(name) holds them to it): an upsert replaces a stored name of any case.
   */
  async writeHeaders({ db: tx, scope }: TenantTx, endpointId: string, upserts: StoredHeader[], deletes: string[]): Promise<void> {
    const lowered = [...deletes, ...upserts.map((h) => h.name)].map((n) => n.toLowerCase());
    if (lowered.length > 0) {
      await tx.$executeRaw`DELETE FROM endpoint_headers WHERE tenant_id = ${scope.tenantId} AND endpoint_id = ${endpointId} AND lower(name) = ANY(${lowered}::text[])`;
    }
    if (upserts.length > 0) {
      await tx.endpointHeader.createMany({
        data: upserts.map((h) => ({ endpointId, tenantId: scope.tenantId, name: h.name, valueEnc: new Uint8Array(h.valueEnc), sensitive: h.sensitive })),
      });
    }
  }

  async deleteAllHeaders({ db: tx, scope }: TenantTx, endpointId: string): Promise<void> {
    await tx.endpointHeader.deleteMany({ where: { tenantId: scope.tenantId, endpointId } });
  }

  // -------------------------------------------------------------------------------------------
  // Stats

  /**
   * Deliveries of the endpoint per Svix status, optionally created within [since, until): a
   * pending delivery that was tried before is "sending" (waiting for its retry).
   */
  async deliveryCounts(scope: TenantScope, endpointId: string, since?: Date, until?: Date): Promise<DeliveryCounts> {
    const rows = await this.prisma.$queryRaw<{ status: string; n: bigint }[]>`
      SELECT CASE WHEN status = 'pending' AND attempt_count > 0 THEN 'sending' ELSE status END AS status, count(*) AS n
      FROM deliveries
      WHERE tenant_id = ${scope.tenantId} AND endpoint_id = ${endpointId}
        AND (${since ?? null}::timestamptz IS NULL OR created_at >= ${since ?? null}::timestamptz)
        AND (${until ?? null}::timestamptz IS NULL OR created_at < ${until ?? null}::timestamptz)
      GROUP BY 1`;
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}

function secretFields(secret: StoredSecret): { id: string; kind: string; secretEnc: Uint8Array<ArrayBuffer>; publicKey: string | null } {
  return { id: secret.id, kind: secret.kind, secretEnc: new Uint8Array(secret.secretEnc), publicKey: secret.publicKey };
}
