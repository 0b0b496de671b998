import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationError, type ValidationIssue } from '@herald/core';
import type { z } from 'zod';

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

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const BAD_STRING = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_STRING_ISSUES = 20;

/** Where `value` holds a string with a NUL or an unpaired surrogate (at most 20 places). */
export function badStringIssues(value: unknown, loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (v: unknown, at: () => (string | number)[], stack: { value: object; loc: (string | number)[] }[]): void => {
    if (typeof v === 'string') {
      if (BAD_STRING.test(v)) issues.push(badString(at()));
    } else if (typeof v === 'object' && v !== null) {
      stack.push({ value: v, loc: at() });
    }
  };
  // Iterative: JSON bodies are at most 64 levels deep, but nothing here relies on it.
  const stack: { value: object; loc: (string | number)[] }[] = [];
  visit(value, () => loc, stack);
  while (stack.length > 0 && issues.length < MAX_STRING_ISSUES) {
    const item = stack.pop() as { value: object; loc: (string | number)[] };
    if (Array.isArray(item.value)) {
      item.value.forEach((v: unknown, i) => visit(v, () => [...item.loc, i], stack));
    } else {
      for (const [key, v] of Object.entries(item.value)) {
        if (BAD_STRING.test(key)) issues.push(badString(item.loc));
        visit(v, () => [...item.loc, key], stack);
      }
    }
  }
  return issues.slice(0, MAX_STRING_ISSUES);
}

function badString(loc: (string | number)[]): ValidationIssue {
  return { loc, msg: 'must not contain NUL characters or unpaired UTF-16 surrogates', type: 'value_error.str' };
}
