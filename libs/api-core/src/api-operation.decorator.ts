import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const API_OPERATION_METADATA = 'herald:api-operation';

/**
 * What the OpenAPI document says about one route. Request schemas default to those of the
 * route's `ZodPipe`s, so most routes only need a summary and a response schema.
 */
export interface ApiOperationOptions {
  summary: string;
  description?: string;
  /** Grouping in the document; defaults to the first path segment after /api/v1. */
  tag?: string;
  body?: z.ZodType;
  query?: z.ZodType;
  path?: z.ZodType;
  /** Schema of the success response body (none for 204). */
  response?: z.ZodType;
  /** Success status; defaults to the route's @HttpCode, else 201 for POST and 200 otherwise. */
  status?: number;
}

export const ApiOperation = (options: ApiOperationOptions): MethodDecorator => SetMetadata(API_OPERATION_METADATA, options);
