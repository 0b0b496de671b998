import type { ValidationIssue } from '@herald/tenancy';

/**
 * Custom endpoint headers: what may be set, and which values are secrets. Invalid input is
 * refused (422), never cleaned, so what the tenant sees is exactly what gets sent.
 */

export const MAX_ENDPOINT_HEADERS = 50;
const MAX_NAME_LENGTH = 256;
const MAX_VALUE_LENGTH = 8_192;

// RFC 7230 §3.2.6 token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Field values (RFC 9110 §5.5): tab, visible ASCII and space, and obs-text (0x80–0xFF, sent
 * as Latin-1 bytes). Anything else — CR, LF, NUL, other controls, DEL, characters beyond
 * U+00FF — has no single meaning on the wire.
 */
function hasInvalidValueCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    const ok = code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
    if (!ok) return true;
  }
  return false;
}

// Hop-by-hop and framing headers belong to the connection, not to the tenant; `host` and
// `user-agent` identify Herald's request; `expect` would stall the request.
const RESERVED_NAMES = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'user-agent', 'expect']);
// `webhook-*` and `svix-*` carry the signature; `content-*` describes the signed body.
const RESERVED_PREFIXES = ['proxy-', 'webhook-', 'svix-', 'content-'];

const SENSITIVE_NAMES = new Set(['authorization', 'cookie', 'x-api-key']);
const SENSITIVE_PARTS = ['token', 'secret', 'key', 'auth'];

/** Header names compare case-insensitively (reserved names, duplicates); they are stored and returned as given. */
export function normalizeHeaderName(name: string): string {
  return name.toLowerCase();
}

/** Values of these headers are never returned by the API (GET lists their names in `sensitive`). */
export function isSensitiveHeader(name: string): boolean {
  const lower = normalizeHeaderName(name);
  return SENSITIVE_NAMES.has(lower) || SENSITIVE_PARTS.some((part) => lower.includes(part));
}

export function headerNameIssue(name: string): string | null {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return `header names are 1–${MAX_NAME_LENGTH} characters`;
  if (!TOKEN.test(name)) return 'header names must be RFC 7230 tokens (no spaces, colons or control characters)';
  const lower = normalizeHeaderName(name);
  if (RESERVED_NAMES.has(lower)) return `the ${lower} header is set by Herald or the connection and cannot be overridden`;
  const prefix = RESERVED_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) return `${prefix}* headers are reserved (signature, body framing or proxies)`;
  return null;
}

export function headerValueIssue(value: string): string | null {
  if (value.length > MAX_VALUE_LENGTH) return `header values are at most ${MAX_VALUE_LENGTH} characters`;
  if (hasInvalidValueCharacter(value)) return 'header values may hold tabs, spaces, visible ASCII and 0x80–0xFF only (no CR, LF, NUL, other controls or characters beyond U+00FF)';
  return null;
}

/**
 * Checks a set of headers to write (`null` values = delete) and returns the issues, with
 * `loc` pointing at each offending header. Names that differ only in case collide.
 */
export function headerIssues(headers: Record<string, string | null>, loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const nameIssue = headerNameIssue(name);
    if (nameIssue) issues.push({ loc: [...loc, name], msg: nameIssue, type: 'value_error.header_name' });
    const lower = normalizeHeaderName(name);
    const earlier = seen.get(lower);
    if (earlier !== undefined) issues.push({ loc: [...loc, name], msg: `duplicates header ${earlier} (names are case-insensitive)`, type: 'value_error.header_name' });
    seen.set(lower, name);
    if (value !== null) {
      const valueIssue = headerValueIssue(value);
      if (valueIssue) issues.push({ loc: [...loc, name], msg: valueIssue, type: 'value_error.header_value' });
    }
  }
  return issues;
}
