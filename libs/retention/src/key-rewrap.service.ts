import { Injectable, Logger } from '@nestjs/common';
import { keyIdOf } from '@herald/crypto';
import { OperatorDb, SYSTEM_AUDIT_CONTEXT, TenantKeysService, type AuditContext } from '@herald/tenancy';
import { KeyRewrapRepository } from './key-rewrap.repository';

export interface RewrapResult {
  /** The master key every data key is now wrapped with. */
  activeKid: string;
  checked: number;
  rewrapped: number;
  alreadyCurrent: number;
  /** Changed by someone else meanwhile (deleted, or re-wrapped by another run). */
  skipped: number;
  /** Keys that could not be unwrapped (e.g. their master key is no longer in the ring). */
  failures: { tenantId: string; error: string }[];
}

const PAGE = 200;

/**
 * Master-key rotation: re-wraps every live tenant's data key with the active (first) master
 * key of HERALD_MASTER_KEYS. Only the small wrapped key in `tenants` changes; payloads, secrets
 * and response bodies are sealed with the data key itself and stay as they are. Idempotent:
 * keys already under the active master key are skipped, so it can be re-run after a crash.
 */
@Injectable()
export class KeyRewrapService {
  private readonly logger = new Logger('KeyRewrap');

  constructor(
    private readonly operator: OperatorDb,
    private readonly repo: KeyRewrapRepository,
    private readonly keys: TenantKeysService,
  ) {}

  async rewrap(ctx: AuditContext = SYSTEM_AUDIT_CONTEXT): Promise<RewrapResult> {
    const ring = this.keys.keyRing;
    const result: RewrapResult = { activeKid: ring.activeKid, checked: 0, rewrapped: 0, alreadyCurrent: 0, skipped: 0, failures: [] };
    let after = '';
    for (;;) {
      const page = await this.repo.listWrappedKeys(after, PAGE);
      for (const row of page) {
        result.checked += 1;
        const wrapped = Buffer.from(row.dataKeyWrapped);
        const retired = row.retiredDataKeysWrapped.map((r) => Buffer.from(r));
        if (ring.isCurrent(wrapped) && retired.every((r) => ring.isCurrent(r))) {
          result.alreadyCurrent += 1;
          continue;
        }
        const scope = this.operator.scopeFor(row.id);
        try {
          const fromKid = keyIdOf(wrapped);
          // Retired data keys (version i+1 at index i) are re-wrapped too: old data needs them.
          const next = {
            active: new Uint8Array(ring.wrap(ring.unwrap(wrapped, row.id, row.dataKeyVersion), row.id, row.dataKeyVersion)),
            retired: retired.map((r, i) => new Uint8Array(ring.wrap(ring.unwrap(r, row.id, i + 1), row.id, i + 1))),
          };
          const previous = { active: new Uint8Array(wrapped), retired: retired.map((r) => new Uint8Array(r)) };
          const replaced = await this.operator.transaction(async (db) => {
            const tx = this.operator.forTenant(db, scope);
            if (!(await this.repo.replaceWrappedKeys(tx, previous, next))) return false;
            await tx.audit(ctx, {
              action: 'tenant.data_key.rewrapped',
              target: { type: 'tenant', id: row.id },
              details: { fromKid, toKid: ring.activeKid, retiredKeys: retired.length },
            });
            return true;
          });
          if (replaced) result.rewrapped += 1;
          else result.skipped += 1;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          this.logger.error({ err, tenantId: row.id, msg: `could not re-wrap the data key of tenant ${row.id}: ${message}` });
          result.failures.push({ tenantId: row.id, error: message });
        }
      }
      const last = page[page.length - 1];
      if (!last || page.length < PAGE) break;
      after = last.id;
    }
    return result;
  }
}
