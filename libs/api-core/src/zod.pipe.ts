import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationError, type ValidationIssue } from '@herald/tenancy';
import type { z } from 'zod';
import { findInJson } from './json-walk';

/**
 * Validates a body, query or path value with its zod schema; failures become Svix-shaped
 * 422s. `where` is the first element of each issue's `loc` ("body", "query", "path").
 *
 * Before the schema runs, every string of the value (object keys included, payloads too) is
 * checked: NUL characters and unpaired UTF-16 surrogates are refused, since PostgreSQL text
 * cannot hold the first and UTF-8 cannot encode the second.
 */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  // Public so the OpenAPI builder can document the route from the same schema.
  constructor(
    readonly schema: S,
    readonly where: 'body' | 'query' | 'path' = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const stringIssues = badStringIssues(value, [this.where]);
    if (stringIssues.length > 0) throw new ValidationError(stringIssues);
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        loc: [this.where, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
        msg: issue.message,
        type: issue.code,
      })),
    );
  }
}

// Any NUL or surrogate (cheap, and rare in real text); then whether a surrogate is unpaired.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const BAD_STRING = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_STRING_ISSUES = 20;

function isBadString(s: string): boolean {
  return SUSPECT.test(s) && BAD_STRING.test(s);
}

/** Where `value` holds a string (or an object key) with a NUL or an unpaired surrogate (at most 20 places). */
export function badStringIssues(value: unknown, loc: (string | number)[]): ValidationIssue[] {
  const paths = findInJson(value, { value: (v) => typeof v === 'string' && isBadString(v), key: isBadString }, MAX_STRING_ISSUES);
  return paths.map((path) => ({ loc: [...loc, ...path], msg: 'must not contain NUL characters or unpaired UTF-16 surrogates', type: 'value_error.str' }));
}
