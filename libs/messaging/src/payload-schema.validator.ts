import { Injectable } from '@nestjs/common';
import type { ErrorObject } from 'ajv';
import { compileTenantSchema, SchemaBudgetExceeded, validateWithinBudget, type TenantSchemaValidator } from '@herald/api-core';
import { ValidationError, type ValidationIssue } from '@herald/tenancy';

const CACHE_MAX = 1_000;
const MAX_REPORTED_ERRORS = 20;

/** An event type whose schemas (`event_types.schemas`: JSON Schemas keyed by version "1", "2"…) may apply. */
export interface EventTypeRef {
  /** Changes whenever the schemas may have changed (id + updated_at). */
  cacheKey: string;
  /** Reads the schemas; called only when no compiled validator is cached for `cacheKey`. */
  loadSchemas(): Promise<unknown>;
}

/** The newest version's schema, or undefined when the event type has none. */
export function latestSchema(schemas: unknown): Record<string, unknown> | undefined {
  if (typeof schemas !== 'object' || schemas === null || Array.isArray(schemas)) return undefined;
  let best: { version: number; schema: Record<string, unknown> } | undefined;
  for (const [key, schema] of Object.entries(schemas as Record<string, unknown>)) {
    const version = Number(key);
    if (!Number.isFinite(version) || typeof schema !== 'object' || schema === null || Array.isArray(schema)) continue;
    if (!best || version > best.version) best = { version, schema: schema as Record<string, unknown> };
  }
  return best?.schema;
}

/**
 * Validates message payloads against their event type's latest JSON Schema (compiled by
 * api-core's one Ajv home, safe against tenant-crafted schemas: ADR 0014). Compiled validators
 * are cached per event type version; each schema gets its own Ajv instance so one tenant's
 * `$id`s can never collide with another's.
 */
@Injectable()
export class PayloadSchemaValidator {
  private readonly cache = new Map<string, TenantSchemaValidator | null>();

  /** Throws a 422 listing the schema violations; does nothing when there is no schema. */
  async validate(eventType: EventTypeRef, payload: unknown): Promise<void> {
    let compiled = this.cache.get(eventType.cacheKey);
    if (compiled === undefined) compiled = this.compile(eventType.cacheKey, await eventType.loadSchemas());
    if (!compiled) return;
    let errors: ErrorObject[];
    try {
      errors = validateWithinBudget(compiled, payload);
    } catch (err) {
      if (err instanceof SchemaBudgetExceeded) throw ValidationError.single(['body', 'payload'], err.message, 'value_error.jsonschema.budget');
      throw err;
    }
    if (errors.length > 0) throw new ValidationError(toIssues(errors));
  }

  private compile(cacheKey: string, schemas: unknown): TenantSchemaValidator | null {
    const schema = latestSchema(schemas);
    let compiled: TenantSchemaValidator | null = null;
    if (schema && Object.keys(schema).length > 0) {
      try {
        compiled = compileTenantSchema(schema);
      } catch (err) {
        // A stored schema that ajv cannot compile cannot be enforced: refuse rather than let
        // unchecked payloads through, and say why.
        throw ValidationError.single(['body', 'eventType'], `the event type's JSON schema is invalid: ${err instanceof Error ? err.message : String(err)}`, 'value_error.jsonschema');
      }
    }
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(cacheKey, compiled);
    return compiled;
  }
}

function toIssues(errors: ErrorObject[]): ValidationIssue[] {
  return errors.slice(0, MAX_REPORTED_ERRORS).map((e) => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    const missing = e.keyword === 'required' && typeof e.params['missingProperty'] === 'string' ? [e.params['missingProperty']] : [];
    return {
      loc: ['body', 'payload', ...path, ...missing],
      msg: e.message ?? 'is invalid',
      type: `value_error.jsonschema.${e.keyword}`,
    };
  });
}
