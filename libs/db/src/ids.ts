import { randomFillSync } from 'node:crypto';

/**
 * KSUID-shaped ids with millisecond time, as Svix's: `prefix_` + 27 base62 characters of a
 * 160-bit number laid out as
 *   32 bits  seconds since the KSUID epoch (the same first 4 bytes as Herald's earlier
 *            second-resolution ids, so old and new ids sort together),
 *   10 bits  milliseconds within the second (0–999),
 *  118 bits  random.
 * Ids therefore sort by creation time to the millisecond (lists order by id), and ids made by
 * one process within one millisecond keep their creation order.
 */
const KSUID_EPOCH_S = 1_400_000_000;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 27;
const RANDOM_BITS = 118n;
const RANDOM_MASK = (1n << RANDOM_BITS) - 1n;
const MAX_SECONDS = 0xffff_ffff;

export type IdPrefix = 'tnt' | 'key' | 'app' | 'et' | 'ep' | 'sec' | 'msg' | 'dlv' | 'atmpt' | 'aud' | 'qtask';

/** `prefix_` + 27 base62 characters: the shape of every Herald id. */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9A-Za-z]{${ID_LENGTH}}$`);
}

// Random bytes are drawn from the CSPRNG in 4 KiB blocks: one call per 256 ids instead of one each.
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;

function random128(): bigint {
  if (randomOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  const value = BigInt(`0x${RANDOM_POOL.toString('hex', randomOffset, randomOffset + 16)}`);
  // Never hand the same bytes out twice.
  RANDOM_POOL.fill(0, randomOffset, randomOffset + 16);
  randomOffset += 16;
  return value;
}

/** The time part (seconds, milliseconds) of an id made at `ms`, clamped to what 32 bits of seconds hold. */
function timeBits(ms: number): bigint {
  const seconds = Math.min(Math.max(Math.floor(ms / 1000) - KSUID_EPOCH_S, 0), MAX_SECONDS);
  const millis = ms < KSUID_EPOCH_S * 1000 ? 0 : ((ms % 1000) + 1000) % 1000;
  return (BigInt(seconds) << 128n) | (BigInt(millis) << RANDOM_BITS);
}

function base62(value: bigint): string {
  let n = value;
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(ID_LENGTH, '0');
}

// The last id's millisecond and random part: a later id of the same millisecond steps forward
// from it (by a random amount, so ids stay unguessable), keeping creation order.
let lastMs = Number.NaN;
let lastRandom = 0n;

export function ksuid(now: Date = new Date()): string {
  const ms = now.getTime();
  let random = random128() & RANDOM_MASK;
  if (ms === lastMs) {
    const stepped = lastRandom + 1n + (random & 0xffff_ffffn);
    // Overflow (one in ~2^86 per id): a fresh random part, order within the millisecond not kept.
    if (stepped <= RANDOM_MASK) random = stepped;
  }
  lastMs = ms;
  lastRandom = random;
  return base62(timeBits(ms) | random);
}

export function newId(prefix: IdPrefix, now?: Date): string {
  return `${prefix}_${ksuid(now)}`;
}

/**
 * The smallest id of `prefix` made at `at` (random part zero): `id < startId(at)` selects rows
 * created before `at`, `id > startId(at)` those created at or after it (to the millisecond).
 * Times outside what ids can hold are clamped.
 */
export function startId(prefix: IdPrefix, at: Date): string {
  return `${prefix}_${base62(timeBits(at.getTime()))}`;
}

