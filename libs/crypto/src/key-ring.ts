import { randomBytes } from 'node:crypto';
import { DecryptionError, keyIdOf, open, seal } from './envelope';

export interface MasterKeyEntry {
  kid: string;
  key: Buffer;
}

/** Identifier written into data ciphertexts sealed with a tenant's data key. */
export const TENANT_DATA_KEY_ID = 'dk1';

/**
 * The master key ring (`HERALD_MASTER_KEYS`): the first key wraps new tenant data keys, every
 * key can unwrap, so adding a key first and re-wrapping rotates without touching data rows.
 */
export class KeyRing {
  private readonly byKid: Map<string, Buffer>;

  constructor(private readonly keys: readonly MasterKeyEntry[]) {
    if (keys.length === 0) throw new Error('the master key ring is empty');
    this.byKid = new Map(keys.map((k) => [k.kid, k.key]));
  }

  get activeKid(): string {
    return (this.keys[0] as MasterKeyEntry).kid;
  }

  /** A fresh 32-byte data key for a tenant, and its wrapped form for storage. */
  newDataKey(tenantId: string): { dataKey: Buffer; wrapped: Buffer } {
    const dataKey = randomBytes(32);
    return { dataKey, wrapped: this.wrap(dataKey, tenantId) };
  }

  wrap(dataKey: Buffer, tenantId: string): Buffer {
    const active = this.keys[0] as MasterKeyEntry;
    return seal(active.key, active.kid, dataKey, `tenant-key:${tenantId}`);
  }

  unwrap(wrapped: Buffer, tenantId: string): Buffer {
    const kid = keyIdOf(wrapped);
    const master = this.byKid.get(kid);
    if (!master) throw new DecryptionError(`master key "${kid}" is not in the key ring`);
    return open(master, wrapped, `tenant-key:${tenantId}`);
  }

  /** True when `wrapped` is already under the active master key. */
  isCurrent(wrapped: Buffer): boolean {
    return keyIdOf(wrapped) === this.activeKid;
  }
}

/** Seals tenant data (payloads, secrets, response bodies) under the tenant's data key. */
export function sealForTenant(dataKey: Buffer, tenantId: string, plaintext: Buffer): Buffer {
  return seal(dataKey, TENANT_DATA_KEY_ID, plaintext, `tenant-data:${tenantId}`);
}

export function openForTenant(dataKey: Buffer, tenantId: string, sealed: Buffer): Buffer {
  return open(dataKey, sealed, `tenant-data:${tenantId}`);
}
