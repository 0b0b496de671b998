import { describe, expect, it } from 'vitest';
import { compileTenantSchema, countJsonValues, SchemaBudgetExceeded, schemaFanOut, tenantSchemaIssues, validateWithinBudget } from './tenant-json-schema';

describe('event type JSON schemas', () => {
  it('accepts valid schemas keyed by version', () => {
    expect(tenantSchemaIssues({ '1': { type: 'object', properties: { a: { type: 'string' } } }, '2': {} }, ['schemas'])).toEqual([]);
    expect(tenantSchemaIssues({ '1': { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' } }, ['schemas'])).toEqual([]);
  });

  it('refuses bad versions, non-objects, meta-schema violations and unresolvable refs', () => {
    expect(tenantSchemaIssues({ v1: {} }, ['s'])[0]!.loc).toEqual(['s', 'v1']);
    expect(tenantSchemaIssues({ '1': 'object' }, ['s'])).toHaveLength(1);
    expect(tenantSchemaIssues({ '1': { type: 'objekt' } }, ['s'])[0]!.msg).toMatch(/not a valid JSON Schema/);
    expect(tenantSchemaIssues({ '1': { $ref: '#/definitions/missing' } }, ['s'])[0]!.msg).toMatch(/not a usable JSON Schema/);
  });
});

describe('tenant schemas cannot stall the process', () => {
  it('runs patterns in RE2: a catastrophic-backtracking pattern answers at once', () => {
    const { validate } = compileTenantSchema({ type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } }, patternProperties: { '^(x+x+)+y$': { type: 'string' } } });
    const evil = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(validate({ s: evil, [`${'x'.repeat(5_000)}`]: 1 })).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    expect(validate({ s: 'aaa' })).toBe(true);
    // The same pattern in the backtracking engine would take years on this input: the proof that it did not run there.
    expect(/^(a+)+$/.test('aaaa')).toBe(true);
  });

  it('keeps ECMAScript pattern meaning for the common syntax', () => {
    const { validate } = compileTenantSchema({ type: 'string', pattern: '^[a-z]{2}-\\d{3}$|^(?<word>\\w+)\\/\\u00e9$' });
    expect(validate('ab-123')).toBe(true);
    expect(validate('ab-12')).toBe(false);
    expect(validate('x_1/é')).toBe(true);
    expect(compileTenantSchema({ type: 'string', pattern: 'needle' }).validate('hay needle hay')).toBe(true);
  });

  it('refuses patterns RE2 cannot run (backreferences, lookarounds), in pattern, patternProperties and propertyNames', () => {
    for (const schema of [{ pattern: '(a)\\1' }, { patternProperties: { '^(?=x)': { type: 'string' } } }, { propertyNames: { pattern: '(?<!a)b' } }]) {
      const issues = tenantSchemaIssues({ '1': schema }, ['body', 'schemas']);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.loc).toEqual(['body', 'schemas', '1']);
      expect(issues[0]!.msg).toMatch(/not supported.*RE2/);
    }
  });

  it('checks uniqueItems in linear time, with JSON equality (key order does not matter)', () => {
    const { validate } = compileTenantSchema({ type: 'array', uniqueItems: true });
    const bomb = Array.from({ length: 100_000 }, (_, i) => ({ a: i, b: [i, { c: String(i) }] }));
    const started = performance.now();
    expect(validate(bomb)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(validate([{ a: 1, b: 2 }, { b: 2, a: 1 }])).toBe(false);
    expect(validate.errors?.[0]?.keyword).toBe('uniqueItems');
    expect(validate([1, '1', [1], { '1': 1 }, null])).toBe(true);
    expect(validate([1, 1.0])).toBe(false);
    expect(compileTenantSchema({ type: 'array', uniqueItems: false }).validate([1, 1])).toBe(true);
  });

  it('bounds fan-out: refuses exponential $ref/anyOf nesting and in-place $ref loops, accepts recursive tree schemas', () => {
    const defs: Record<string, unknown> = { d0: { type: 'string' } };
    for (let i = 1; i <= 20; i += 1) defs[`d${i}`] = { anyOf: [{ $ref: `#/definitions/d${i - 1}` }, { $ref: `#/definitions/d${i - 1}` }] };
    expect(tenantSchemaIssues({ '1': { definitions: defs, $ref: '#/definitions/d20' } }, ['s'])[0]!.msg).toMatch(/more than 1000 subschemas/);
    // The same fan-out one level per payload value: exponential in the payload's depth.
    const deep = { anyOf: [{ properties: { x: { $ref: '#' } } }, { properties: { x: { $ref: '#' } } }] };
    expect(tenantSchemaIssues({ '1': deep }, ['s'])[0]!.msg).toMatch(/more than 1000 subschemas/);
    expect(tenantSchemaIssues({ '1': { $defs: { a: { allOf: [{ $ref: '#/$defs/b' }] }, b: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' } }, ['s'])[0]!.msg).toMatch(/references itself/);
    const tree = { $defs: { node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } } } }, $ref: '#/$defs/node' };
    expect(tenantSchemaIssues({ '1': tree }, ['s'])).toEqual([]);
    expect(schemaFanOut(tree)).toBeLessThan(5);
    // Analysis time is linear in the schema: 1,000 references to one wide allOf.
    const wideDefs = { $defs: { a: { allOf: Array.from({ length: 500 }, () => ({ type: 'integer' })) } }, type: 'object', properties: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`p${i}`, { items: { $ref: '#/$defs/a' } }])) };
    const analysed = performance.now();
    expect(schemaFanOut(wideDefs)).toBe(502);
    expect(performance.now() - analysed).toBeLessThan(200);
    // Many properties are alternatives for one child, not a sum.
    const wide = { type: 'object', properties: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`p${i}`, { type: 'integer' }])) };
    expect(schemaFanOut(wide)).toBe(1);
  });

  it('refuses patterns whose RE2 program is too large', () => {
    const issues = tenantSchemaIssues({ '1': { type: 'string', pattern: '[\\s\\S]{1000}'.repeat(10) } }, ['s']);
    expect(issues[0]!.msg).toMatch(/too large \(\d+ RE2 instructions, at most 5000\)/);
    expect(tenantSchemaIssues({ '1': { type: 'string', pattern: '^.{1,1000}$' } }, ['s'])).toEqual([]);
    expect(tenantSchemaIssues({ '1': { type: 'string', pattern: 'a'.repeat(5_000) } }, ['s'])[0]!.msg).toMatch(/longer than 4096 characters/);
    // Many large patterns: their compilation together is bounded too.
    const many = { type: 'object', properties: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`p${i}`, { type: 'string', pattern: `${'[\\s\\S]{1000}'.repeat(4)}${i}` }])) };
    const started = performance.now();
    expect(tenantSchemaIssues({ '1': many }, ['s'])[0]!.msg).toMatch(/together compile to more than 50000 RE2 instructions/);
    expect(performance.now() - started).toBeLessThan(1_000);
    // The same pattern many times is compiled once.
    const repeated = { type: 'object', properties: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`p${i}`, { type: 'string', pattern: `${'[\\s\\S]{1000}'.repeat(4)}` }])) };
    expect(tenantSchemaIssues({ '1': repeated }, ['s'])).toEqual([]);
  });

  it('stops a validation once its pattern and uniqueItems work passes the budget, before the costly match', () => {
    const big = compileTenantSchema({ type: 'array', items: { type: 'string', pattern: `${'[\\s\\S]{1000}'.repeat(4)}z` } });
    const strings = Array.from({ length: 1_000 }, () => 'a'.repeat(4_900));
    const started = performance.now();
    expect(() => validateWithinBudget(big, strings)).toThrow(SchemaBudgetExceeded);
    expect(performance.now() - started).toBeLessThan(1_000);
    // The budget is per validation: a small payload afterwards is checked normally.
    expect(validateWithinBudget(big, ['a'.repeat(10)])).toHaveLength(1);
    expect(validateWithinBudget(big, [])).toEqual([]);

    const unique = compileTenantSchema({ type: 'array', items: { type: 'array', uniqueItems: true } });
    const nested = Array.from({ length: 400 }, () => Array.from({ length: 2_000 }, (_, i) => `item-${i}-${'x'.repeat(20)}`));
    expect(() => validateWithinBudget(unique, nested)).toThrow(SchemaBudgetExceeded);
    // Write-time checks and plain compiled validators are not budgeted.
    expect(unique.validate(nested.slice(0, 2))).toBe(true);
  });

  it('refuses payloads beyond the budget of schema applications before validating', () => {
    const costly = compileTenantSchema({ type: 'array', items: { allOf: Array.from({ length: 99 }, () => ({ type: 'integer' })) } });
    expect(costly.fanOut).toBe(100);
    expect(() => validateWithinBudget(costly, new Array<number>(60_000).fill(0))).toThrow(/schema applications/);
    expect(validateWithinBudget(costly, new Array<number>(1_000).fill(0))).toEqual([]);
  });

  it('refuses schemas with more subschemas than Ajv compiles quickly', () => {
    const many = (n: number) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'integer' }])) });
    const started = performance.now();
    const issues = tenantSchemaIssues({ '1': many(40_000) }, ['body', 'schemas']);
    expect(performance.now() - started).toBeLessThan(500);
    expect(issues).toEqual([{ loc: ['body', 'schemas'], msg: expect.stringMatching(/more than 2000 JSON objects/) as string, type: 'value_error.jsonschema' }]);
    // The bound is over all versions together.
    expect(tenantSchemaIssues({ '1': many(1_000), '2': many(1_000) }, ['s'])).toHaveLength(1);
    expect(tenantSchemaIssues({ '1': many(1_500) }, ['s'])).toEqual([]);
  });

  it('counts the values a validation walks', () => {
    expect(countJsonValues({ a: [1, 2, { b: null }] })).toBe(8);
    expect(countJsonValues('x')).toBe(1);
  });
});
