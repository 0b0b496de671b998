import { describe, expect, it } from 'vitest';
import { ValidationError } from '@herald/tenancy';
import { latestSchema, PayloadSchemaValidator } from './payload-schema.validator';

describe('PayloadSchemaValidator', () => {
  const schemas = {
    '1': { type: 'object', required: ['a'] },
    '10': { type: 'object', properties: { email: { type: 'string', format: 'email' }, items: { type: 'array', items: { type: 'integer' } } }, required: ['email'] },
    '2': { type: 'object', required: ['b'] },
  };

  it('uses the highest numeric version', () => {
    expect(latestSchema(schemas)).toBe(schemas['10']);
    expect(latestSchema(null)).toBeUndefined();
    expect(latestSchema({})).toBeUndefined();
    expect(latestSchema({ x: { type: 'object' } })).toBeUndefined();
  });

  it('accepts valid payloads and reports every violation with its location', async () => {
    const validator = new PayloadSchemaValidator();
    const et = { cacheKey: 'et_1:1', loadSchemas: () => Promise.resolve(schemas) };
    await expect(validator.validate(et, { email: 'a@example.com', items: [1, 2] })).resolves.toBeUndefined();
    const error: unknown = await validator.validate(et, { email: 'nope', items: [1, 'two'] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.loc)).toEqual(expect.arrayContaining([['body', 'payload', 'email'], ['body', 'payload', 'items', '1']]));
    expect(issues.every((i) => i.type.startsWith('value_error.jsonschema.'))).toBe(true);
  });

  it('supports draft 2020-12 schemas and keeps tenants with the same $id apart', async () => {
    const validator = new PayloadSchemaValidator();
    const ref = (cacheKey: string, schemas: unknown) => ({ cacheKey, loadSchemas: () => Promise.resolve(schemas) });
    const a = ref('a', { '1': { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://x/s', type: 'object', required: ['a'] } });
    const b = ref('b', { '1': { $id: 'https://x/s', type: 'object', required: ['b'] } });
    await expect(validator.validate(a, { a: 1 })).resolves.toBeUndefined();
    await expect(validator.validate(b, { b: 1 })).resolves.toBeUndefined();
    await expect(validator.validate(b, { a: 1 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('reads the schemas once per version, does nothing without a schema, refuses (422) one it cannot compile', async () => {
    const validator = new PayloadSchemaValidator();
    let loads = 0;
    const none = { cacheKey: 'none', loadSchemas: () => ((loads += 1), Promise.resolve(null)) };
    await expect(validator.validate(none, { anything: true })).resolves.toBeUndefined();
    await expect(validator.validate(none, { anything: true })).resolves.toBeUndefined();
    expect(loads).toBe(1);
    const broken = { cacheKey: 'broken', loadSchemas: () => Promise.resolve({ '1': { type: 'not-a-type' } }) };
    await expect(validator.validate(broken, {})).rejects.toBeInstanceOf(ValidationError);
  });
});
