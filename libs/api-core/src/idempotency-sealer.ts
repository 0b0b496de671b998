import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig, type MasterKey } from '@herald/config';
import { DecryptionError, keyIdOf, open, seal } from '@herald/crypto';
import { TenantKeysService, tenantScope } from '@herald/tenancy';
import { OPERATOR_IDEMPOTENCY_OWNER, type IdempotencyOwner } from './idempotency.repository';

/**
 * Kept responses can hold secrets and payloads (a new API key, a message), so they are stored
 * encrypted like every other tenant datum: under the tenant's data key (crypto-shredding a
 * tenant makes them unreadable too), or for the operator under the master key ring, bound to
 * the idempotency key.
 */
@Injectable()
export class IdempotencySealer {
  private readonly masterKeys: MasterKey[];

  constructor(
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.masterKeys = config.security.masterKeys;
  }

  async seal(owner: IdempotencyOwner, key: string, body: unknown): Promise<Buffer> {
    const plaintext = Buffer.from(JSON.stringify(body), 'utf8');
    if (owner !== OPERATOR_IDEMPOTENCY_OWNER) return this.keys.encrypt(tenantScope(owner), plaintext);
    const active = this.masterKeys[0] as MasterKey;
    return seal(active.key, active.kid, plaintext, operatorAad(key));
  }

  async open(owner: IdempotencyOwner, key: string, sealed: Buffer): Promise<unknown> {
    let plaintext: Buffer;
    if (owner !== OPERATOR_IDEMPOTENCY_OWNER) {
      plaintext = await this.keys.decrypt(tenantScope(owner), sealed);
    } else {
      const kid = keyIdOf(sealed);
      const master = this.masterKeys.find((k) => k.kid === kid);
      if (!master) throw new DecryptionError(`master key "${kid}" is not in the key ring`);
      plaintext = open(master.key, sealed, operatorAad(key));
    }
    return JSON.parse(plaintext.toString('utf8')) as unknown;
  }
}

const operatorAad = (key: string): string => `idempotency:${OPERATOR_IDEMPOTENCY_OWNER}:${key}`;
