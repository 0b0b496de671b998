import { describe, expect, it } from 'vitest';
import { jsonSchemaIssues } from './json-schema.rules';

describe('event type JSON schemas', () => {
  it('accepts valid schemas keyed by version', () => {
    expect(jsonSchemaIssues({ '1': { type: 'object', properties: { a: { type: 'string' } } }, '2': {} }, ['schemas'])).toEqual([]);
    expect(jsonSchemaIssues({ '1': { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' } }, ['schemas'])).toEqual([]);
  });

  it('refuses bad versions, non-objects, meta-schema violations and unresolvable refs', () => {
    expect(jsonSchemaIssues({ v1: {} }, ['s'])[0]!.loc).toEqual(['s', 'v1']);
    expect(jsonSchemaIssues({ '1': 'object' }, ['s'])).toHaveLength(1);
    expect(jsonSchemaIssues({ '1': { type: 'objekt' } }, ['s'])[0]!.msg).toMatch(/not a valid JSON Schema/);
    expect(jsonSchemaIssues({ '1': { $ref: '#/definitions/missing' } }, ['s'])[0]!.msg).toMatch(/not a usable JSON Schema/);
  });
});
