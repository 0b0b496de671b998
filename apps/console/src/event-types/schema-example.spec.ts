import { describe, expect, it } from 'vitest';
import { exampleFromSchema, latestSchema } from './schema-example';
import { parseSchemaText } from './schema-text';

describe('exampleFromSchema', () => {
  it('prefers the examples the schema gives, else a value of each declared type', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'string', examples: ['inv_42'] },
        amount: { type: 'integer' },
        paid: { type: 'boolean' },
        at: { type: 'string', format: 'date-time' },
        currency: { enum: ['EUR', 'USD'] },
        tags: { type: 'array', items: { type: 'string' } },
        note: { type: ['string', 'null'] },
      },
    };
    expect(exampleFromSchema(schema)).toEqual({ id: 'inv_42', amount: 0, paid: true, at: '2024-01-01T00:00:00Z', currency: 'EUR', tags: ['string'], note: 'string' });
  });

  it('stops on deep or odd schemas instead of looping', () => {
    const deep: Record<string, unknown> = { type: 'object', properties: {} };
    let cursor = deep;
    for (let i = 0; i < 20; i++) {
      const next = { type: 'object', properties: {} };
      (cursor['properties'] as Record<string, unknown>)['x'] = next;
      cursor = next;
    }
    expect(JSON.stringify(exampleFromSchema(deep))).toContain('null');
    expect(exampleFromSchema(null)).toBeNull();
    expect(exampleFromSchema({ example: { given: true } })).toEqual({ given: true });
  });
});

describe('latestSchema', () => {
  it('picks the highest version', () => {
    expect(latestSchema({ '1': { a: 1 }, '10': { a: 10 }, '2': { a: 2 } })).toEqual({ version: '10', schema: { a: 10 } });
    expect(latestSchema(null)).toBeNull();
    expect(latestSchema({})).toBeNull();
  });
});

describe('parseSchemaText', () => {
  it('stores a JSON object under its version, empty as no schema', () => {
    expect(parseSchemaText('{"type":"object"}', '3')).toEqual({ ok: true, schemas: { '3': { type: 'object' } } });
    expect(parseSchemaText('   ')).toEqual({ ok: true, schemas: null });
  });

  it('says what is wrong with text that is not a JSON object', () => {
    const broken = parseSchemaText('{"type": ');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^The schema is not valid JSON/);
    expect(parseSchemaText('[1]')).toEqual({ ok: false, error: 'The schema must be a JSON object.' });
  });
});
