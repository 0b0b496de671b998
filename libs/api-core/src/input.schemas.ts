import { z } from 'zod';

/**
 * Input building blocks every API lib shares: query-string normalisation, query booleans and
 * RFC 3339 date-times.
 */

/**
 * Fastify gives a repeated query key as an array; clients spell a list `k=a&k=b`, `k[]=a` or
 * (the svix client) `k=a,b`. Keys named in `lists` become one de-duplicated array (`k[]` is
 * read as `k`); any other repeated key keeps its last value.
 */
export function normalizeQuery(raw: unknown, lists: readonly string[] = []): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const out: Record<string, unknown> = {};
  const collected = new Map<string, string[]>();
  for (const [rawKey, value] of Object.entries(raw as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    if (lists.includes(key)) {
      const items = collected.get(key) ?? [];
      for (const v of values) items.push(...v.split(',').filter((s) => s.length > 0));
      collected.set(key, items);
    } else {
      out[rawKey] = values[values.length - 1];
    }
  }
  for (const [key, items] of collected) if (items.length > 0) out[key] = [...new Set(items)];
  return out;
}

/** A query object whose repeated keys keep their last value. */
export function lastQueryValues(raw: unknown): unknown {
  return normalizeQuery(raw);
}

export const queryBool = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? defaultValue : v === 'true' || v === '1'));

// RFC 3339 §5.6 date-time (the separator may be T, t or a space, as its note allows).
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time with a year from 1 to 9999; null when it is not one (a valid
 * shape with an impossible date such as February 30 included). A leap second (:60) reads as
 * the first instant of the next minute.
 */
export function parseRfc3339(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ? Number(`0${m[7]}`) : 0;
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const leapYear = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leapYear ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0))) return null;
  let offsetMinutes = 0;
  if (m[9]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, Math.floor(fraction * 1000));
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

/** An RFC 3339 date-time (years 1–9999), as a Date. */
export const rfc3339DateTime = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const date = parseRfc3339(text);
    if (date === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 date-time with a year from 1 to 9999, e.g. 2024-05-01T12:00:00Z' });
      return z.NEVER;
    }
    return date;
  });
