import { HeraldValidationError, type ValidationIssue } from './errors.js';

/**
 * What the SDK needs from a runtime schema, typed structurally so the SDK never imports zod:
 * a zod (3.25+ or 4) schema fits, and so does anything else with the same `safeParse` or `parse`.
 */
export interface SchemaIssueLike {
  path: readonly PropertyKey[];
  message: string;
}

export type SafeParseResultLike<T> = { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssueLike[] } };

export interface SafeParseSchema<T> {
  safeParse(input: unknown): SafeParseResultLike<T>;
}

export interface ParseSchema<T> {
  parse(input: unknown): T;
}

export type PayloadSchema<T> = SafeParseSchema<T> | ParseSchema<T>;

/**
 * Returns the schema's output (defaults applied, unknown keys handled as the schema says),
 * which is what gets sent; throws `HeraldValidationError` without any request.
 */
export function validatePayload<T>(eventType: string, schema: PayloadSchema<T>, payload: unknown): T {
  if ('safeParse' in schema && typeof schema.safeParse === 'function') {
    const result = schema.safeParse(payload);
    if (result.success) return result.data;
    throw new HeraldValidationError(eventType, result.error.issues.map(toIssue), { cause: result.error });
  }
  try {
    return (schema as ParseSchema<T>).parse(payload);
  } catch (cause) {
    const issues = issuesOf(cause);
    throw new HeraldValidationError(eventType, issues ?? [{ path: '', message: cause instanceof Error ? cause.message : String(cause) }], { cause });
  }
}

function toIssue(issue: SchemaIssueLike): ValidationIssue {
  return { path: issue.path.map((p) => String(p)).join('.'), message: issue.message };
}

/** A `parse()` that throws a zod-like error still yields per-field issues. */
function issuesOf(e: unknown): ValidationIssue[] | undefined {
  if (typeof e !== 'object' || e === null || !('issues' in e) || !Array.isArray(e.issues)) return undefined;
  const issues: ValidationIssue[] = [];
  for (const raw of e.issues as unknown[]) {
    if (typeof raw === 'object' && raw !== null && 'message' in raw && typeof raw.message === 'string') {
      const path = 'path' in raw && Array.isArray(raw.path) ? (raw.path as PropertyKey[]) : [];
      issues.push(toIssue({ path, message: raw.message }));
    }
  }
  return issues.length > 0 ? issues : undefined;
}
