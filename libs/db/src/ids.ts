import { randomFillSync } from 'node:crypto';

// KSUID-shaped ids (as Svix uses): 4 bytes of seconds since the KSUID epoch + 16 random
// bytes, base62, 27 characters. Time-ordered, so "newest first" lists sort by id.
const KSUID_EPOCH = 1_400_000_000;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export type IdPrefix = 'tnt' | 'key' | 'app' | 'et' | 'ep' | 'sec' | 'msg' | 'dlv' | 'atmpt' | 'aud';

// Random bytes are drawn from the CSPRNG in 4 KiB blocks: one call per 256 ids instead of one each.
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;

function random16(target: Buffer, offset: number): void {
  if (randomOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  RANDOM_POOL.copy(target, offset, randomOffset, randomOffset + 16);
  // Never hand the same bytes out twice.
  RANDOM_POOL.fill(0, randomOffset, randomOffset + 16);
  randomOffset += 16;
}

export function ksuid(now: Date = new Date()): string {
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32BE(Math.floor(now.getTime() / 1000) - KSUID_EPOCH, 0);
  random16(bytes, 4);
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(27, '0');
}

export function newId(prefix: IdPrefix, now?: Date): string {
  return `${prefix}_${ksuid(now)}`;
}
