import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationError } from '@herald/core';
import type { z } from 'zod';

/**
 * Validates a body, query or path value with its zod schema; failures become Svix-shaped
 * 422s. `where` is the first element of each issue's `loc` ("body", "query", "path").
 */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  // Public so the OpenAPI builder can document the route from the same schema.
  constructor(
    readonly schema: S,
    readonly where: 'body' | 'query' | 'path' = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
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
