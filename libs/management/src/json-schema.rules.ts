import { Ajv, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidationIssue } from '@herald/core';

const AJV_OPTIONS: Options = { allErrors: true, strict: false, validateFormats: true };
const VERSION_KEY = /^[1-9][0-9]{0,5}$/;

/**
 * Checks an event type's `schemas` (JSON Schemas keyed by version, "1", "2"…) the way ingest
 * will use them: each must pass its dialect's meta-schema and compile, so a schema that would
 * make every message of the type fail is refused when it is written, not when messages come.
 */
export function jsonSchemaIssues(schemas: Record<string, unknown>, loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [version, schema] of Object.entries(schemas)) {
    const at = [...loc, version];
    if (!VERSION_KEY.test(version)) {
      issues.push({ loc: at, msg: 'schema versions are positive integers ("1", "2", …)', type: 'value_error' });
      continue;
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      issues.push({ loc: at, msg: 'must be a JSON Schema object', type: 'type_error.dict' });
      continue;
    }
    const ajv = newAjv(schema as Record<string, unknown>);
    if (!ajv.validateSchema(schema)) {
      const first = ajv.errors?.[0];
      issues.push({ loc: at, msg: `not a valid JSON Schema: ${first ? `${first.instancePath || '/'} ${first.message ?? ''}`.trim() : 'rejected by the meta-schema'}`, type: 'value_error.jsonschema' });
      continue;
    }
    try {
      ajv.compile(schema);
    } catch (err) {
      issues.push({ loc: at, msg: `not a usable JSON Schema: ${err instanceof Error ? err.message : String(err)}`, type: 'value_error.jsonschema' });
    }
  }
  return issues;
}

function newAjv(schema: Record<string, unknown>): Ajv {
  const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  const ajv = dialect.includes('2020-12') ? new Ajv2020(AJV_OPTIONS) : dialect.includes('2019-09') ? new Ajv2019(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  addFormats(ajv);
  return ajv;
}
