import { randomBytes } from 'node:crypto';
import { DecryptionError, keyIdOf, open, seal } from './envelope';

export interface MasterKeyEntry {
  kid: string;
  key: Buffer;
}

/** Identifier written into data ciphertexts sealed with version 1 of a tenant's data key. */
export const TENANT_DATA_KEY_ID = 'dk1';

/** The key id of data sealed with version `version` of a tenant's data key: `dk<version>`. */
export function dataKeyId(version: number): string {
  return `dk${version}`;
}

/** Which version of the tenant's data key sealed `sealed` (from its key id, without decrypting). */
export function dataKeyVersionOf(sealed: Buffer): number {
  const kid = keyIdOf(sealed);
  const match = /^dk([1-9]\d{0,8})$/.exec(kid);
  if (!match) throw new DecryptionError(`"${kid}" is not a tenant data key id`);
  return Number(match[1]);
}

/** Associated data binding a wrapped data key to its tenant and version (version 1 keeps its original form). */
const wrapAad = (tenantId: string, version: number): string => (version === 1 ? `tenant-key:${tenantId}` : `tenant-key:${tenantId}:v${version}`);

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

  /** A fresh 32-byte data key for a tenant (of the given version), and its wrapped form for storage. */
  newDataKey(tenantId: string, version = 1): { dataKey: Buffer; wrapped: Buffer } {
    const dataKey = randomBytes(32);
    return { dataKey, wrapped: this.wrap(dataKey, tenantId, version) };
  }

  wrap(dataKey: Buffer, tenantId: string, version = 1): Buffer {
    const active = this.keys[0] as MasterKeyEntry;
    return seal(active.key, active.kid, dataKey, wrapAad(tenantId, version));
  }

  unwrap(wrapped: Buffer, tenantId: string, version = 1): Buffer {
    const kid = keyIdOf(wrapped);
    const master = this.byKid.get(kid);
    if (!master) throw new DecryptionError(`master key "${kid}" is not in the key ring`);
    return open(master, wrapped, wrapAad(tenantId, version));
  }

  /** True when `wrapped` is already under the active master key. */
  isCurrent(wrapped: Buffer): boolean {
    return keyIdOf(wrapped) === this.activeKid;
  }
}

/** Seals tenant data (payloads, secrets, response bodies) under version `version` of the tenant's data key. */
export function sealForTenant(dataKey: Buffer, tenantId: string, plaintext: Buffer, version = 1): Buffer {
  return seal(dataKey, dataKeyId(version), plaintext, `tenant-data:${tenantId}`);
}

export function openForTenant(dataKey: Buffer, tenantId: string, sealed: Buffer): Buffer {
  return open(dataKey, sealed, `tenant-data:${tenantId}`);
}
