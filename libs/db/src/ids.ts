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
const MAX_SECONDS = 0xffff_ffff;

export type IdPrefix = 'tnt' | 'key' | 'app' | 'et' | 'ep' | 'sec' | 'msg' | 'dlv' | 'atmpt' | 'aud' | 'qtask';

/** `prefix_` + 27 base62 characters: the shape of every Herald id. */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9A-Za-z]{${ID_LENGTH}}$`);
}

// Random bytes are drawn from the CSPRNG in 4 KiB blocks: one call per 256 ids instead of one each.
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;

// The 160-bit value is handled as five 32-bit words, most significant first, in plain numbers:
// BigInt arithmetic allocated dozens of heap numbers per id (ids are made on every ingest and
// every attempt).
const WORD = 0x1_0000_0000;
/** Bits of the random part in its first word (118 = 22 + 3 × 32). */
const RANDOM_HEAD_MASK = 0x3f_ffff;
const MILLIS_SHIFT = 2 ** 22;

/** 118 random bits as four words: [22 bits, 32, 32, 32]. */
function random118(): number[] {
  if (randomOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  const words = [
    RANDOM_POOL.readUInt32BE(randomOffset) & RANDOM_HEAD_MASK,
    RANDOM_POOL.readUInt32BE(randomOffset + 4),
    RANDOM_POOL.readUInt32BE(randomOffset + 8),
    RANDOM_POOL.readUInt32BE(randomOffset + 12),
  ];
  // Never hand the same bytes out twice.
  RANDOM_POOL.fill(0, randomOffset, randomOffset + 16);
  randomOffset += 16;
  return words;
}

/** The time words (seconds, then milliseconds above the random part's head) of an id made at `ms`, clamped to what 32 bits of seconds hold. */
function timeWords(ms: number): [number, number] {
  const seconds = Math.min(Math.max(Math.floor(ms / 1000) - KSUID_EPOCH_S, 0), MAX_SECONDS);
  const millis = ms < KSUID_EPOCH_S * 1000 ? 0 : ((ms % 1000) + 1000) % 1000;
  return [seconds, millis * MILLIS_SHIFT];
}

/** 27 base62 digits of a 160-bit number given as five 32-bit words, most significant first. */
export function base62Words(words: readonly number[]): string {
  const n = words.slice();
  const digits = new Array<string>(ID_LENGTH);
  for (let i = ID_LENGTH - 1; i >= 0; i -= 1) {
    // Long division by 62; each partial value stays below 62 × 2^32, exact in a double.
    let rem = 0;
    for (let j = 0; j < n.length; j += 1) {
      const cur = rem * WORD + (n[j] as number);
      const q = Math.floor(cur / 62);
      n[j] = q;
      rem = cur - q * 62;
    }
    digits[i] = ALPHABET[rem] as string;
  }
  return digits.join('');
}

// The last id's millisecond and random part: a later id of the same millisecond steps forward
// from it (by a random amount, so ids stay unguessable), keeping creation order.
let lastMs = Number.NaN;
let lastRandom = [0, 0, 0, 0];

/** `last` + 1 + `step` over the four random words, or null past 118 bits. */
function stepped(last: readonly number[], step: number): number[] | null {
  const out = last.slice();
  let carry = 1 + step;
  for (let j = 3; j >= 0 && carry > 0; j -= 1) {
    const sum = (out[j] as number) + carry;
    out[j] = sum % WORD;
    carry = Math.floor(sum / WORD);
  }
  return carry > 0 || (out[0] as number) > RANDOM_HEAD_MASK ? null : out;
}

export function ksuid(now: Date = new Date()): string {
  const ms = now.getTime();
  let random = random118();
  if (ms === lastMs) {
    // Overflow (one in ~2^86 per id): a fresh random part, order within the millisecond not kept.
    random = stepped(lastRandom, random[3] as number) ?? random;
  }
  lastMs = ms;
  lastRandom = random;
  const [seconds, millis] = timeWords(ms);
  return base62Words([seconds, millis + (random[0] as number), random[1] as number, random[2] as number, random[3] as number]);
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
  const [seconds, millis] = timeWords(at.getTime());
  return `${prefix}_${base62Words([seconds, millis, 0, 0, 0])}`;
}

