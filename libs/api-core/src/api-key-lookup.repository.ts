import { Injectable } from '@nestjs/common';
import { hotSql, PrismaService } from '@herald/db';

export interface KeyRow {
  key_hash: Uint8Array;
  id: string;
  tenant_id: string;
  scopes: string[];
  app_id: string | null;
  app_uid: string | null;
  capabilities: string[];
  feature_flags: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  allowed_cidrs: string[];
  tenant_deleted_at: Date | null;
}

/**
 * Authentication's read: a key by its hash, of whichever tenant holds it (the tenant is what
 * authentication finds out, so this is the one tenant-less lookup of the request path).
 */
@Injectable()
export class ApiKeyLookupRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The keys (with their tenant's deletion mark) for a batch of hashes, in the order asked. */
  async findMany(hashes: Buffer[]): Promise<(KeyRow | undefined)[]> {
    const hex = hashes.map((h) => h.toString('hex'));
    const rows = await this.prisma.hot(hotSql<KeyRow>`/* hot:api_keys */
      SELECT k.key_hash, k.id, k.tenant_id, k.scopes, k.app_id, a.uid AS app_uid, k.capabilities, k.feature_flags, k.expires_at, k.revoked_at, k.allowed_cidrs,
             t.deleted_at AS tenant_deleted_at
      FROM api_keys k
      JOIN tenants t ON t.id = k.tenant_id
      LEFT JOIN applications a ON a.id = k.app_id AND a.tenant_id = k.tenant_id
      WHERE k.key_hash = ANY (SELECT decode(h, 'hex') FROM unnest(${hex}::text[]) AS h)`);
    const byHash = new Map(rows.map((r) => [Buffer.from(r.key_hash).toString('hex'), r]));
    return hashes.map((h) => byHash.get(h.toString('hex')));
  }
}
