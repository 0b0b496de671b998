import { Ajv, type ErrorObject, type Options, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import type { ValidationIssue } from '@herald/tenancy';
import { MAX_JSON_DEPTH } from './json-body.parser';

/**
 * The one home of Ajv in Herald: tenants' JSON Schemas (event types' `schemas`, checked
 * against message payloads) are compiled here, in a way no tenant can use to stall the
 * process (ADR 0014):
 *
 * - `pattern`, `patternProperties` and `propertyNames` patterns run in RE2 (re2js, linear
 *   time); a pattern RE2 cannot compile (backreferences, lookarounds) is refused;
 * - `uniqueItems` is checked in linear time (canonical JSON in a Set), never pairwise;
 * - a schema may apply at most {@link MAX_SCHEMA_APPLICATIONS} subschemas to one value (so
 *   `anyOf`/`$ref` fan-out cannot grow exponentially), and one validation may cost at most
 *   {@link VALIDATION_WORK_BUDGET} subschema applications (values in the payload × that fan-out),
 *   decided before validating;
 * - pattern matching and uniqueItems draw on a {@link MATCH_WORK_BUDGET} while the validation
 *   runs (a pattern's RE2 instructions × the characters it scans; the characters uniqueItems
 *   reads), checked before each match: past it the validation stops with {@link SchemaBudgetExceeded}.
 *   Ajv's synchronous validation cannot be interrupted from outside; these are its checkpoints.
 */

/** Most subschemas one schema may apply to a single value of the payload (allOf/anyOf/$ref fan-out). */
export const MAX_SCHEMA_APPLICATIONS = 1_000;
/** Most subschema applications one payload validation may cost: payload values × the schema's fan-out. */
export const VALIDATION_WORK_BUDGET = 5_000_000;
/** Most matching work one validation may do: Σ RE2 instructions × characters scanned, plus characters uniqueItems reads. */
export const MATCH_WORK_BUDGET = 20_000_000;
/**
 * Most JSON objects in one event type's `schemas` (all versions): Ajv compiles a schema into
 * code on the event loop, about 0.3 s for 2,000 subschemas here and 6.8 s for 40,000.
 */
export const MAX_SCHEMA_OBJECTS = 2_000;
/** Longest pattern text compiled at all. */
export const MAX_PATTERN_LENGTH = 4_096;
/** Most RE2 instructions all of one schema's patterns may compile to (compiling costs time on the event loop). */
export const MAX_SCHEMA_PATTERN_INSTRUCTIONS = 50_000;
/** Largest compiled pattern (RE2 program instructions): `[\s\S]{1000}` repeated is linear, with a huge constant. */
export const MAX_PATTERN_INSTRUCTIONS = 5_000;

/** A validation stopped because it would exceed its work budget. */
export class SchemaBudgetExceeded extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'SchemaBudgetExceeded';
  }
}

// The budget of the validation running now. Ajv validates synchronously on one thread, so at
// most one budgeted validation runs at a time; outside one (write-time checks) nothing is counted.
let matchBudgetLeft: number | undefined;

function spendMatchWork(units: number): void {
  if (matchBudgetLeft === undefined) return;
  matchBudgetLeft -= units;
  if (matchBudgetLeft < 0) throw new SchemaBudgetExceeded(`checking the payload against this event type's schema needs more than ${MATCH_WORK_BUDGET} units of pattern and uniqueItems work`);
}

/**
 * Validates a payload within both budgets: returns Ajv's errors (empty when valid), or throws
 * {@link SchemaBudgetExceeded} before or during the work.
 */
export function validateWithinBudget(compiled: TenantSchemaValidator, payload: unknown): ErrorObject[] {
  const applications = countJsonValues(payload) * compiled.fanOut;
  if (applications > VALIDATION_WORK_BUDGET) {
    throw new SchemaBudgetExceeded(`the payload is too large to check against this event type's schema (${applications} schema applications, at most ${VALIDATION_WORK_BUDGET})`);
  }
  matchBudgetLeft = MATCH_WORK_BUDGET;
  try {
    return compiled.validate(payload) ? [] : (compiled.validate.errors ?? []);
  } finally {
    matchBudgetLeft = undefined;
  }
}

const AJV_OPTIONS: Options = { allErrors: true, strict: false, validateFormats: true, code: { regExp: re2RegExp } };
const VERSION_KEY = /^[1-9][0-9]{0,5}$/;

/** A compiled tenant schema, with the fan-out that bounds its cost per payload value. */
export interface TenantSchemaValidator {
  validate: ValidateFunction;
  /** Most subschemas applied to one payload value. */
  fanOut: number;
}

// The patterns compiled for the schema being compiled now (synchronous, one at a time): Ajv asks
// for every occurrence of a pattern, so repeats are compiled once, and all of them together
// stay within MAX_SCHEMA_PATTERN_INSTRUCTIONS.
let patternCompiles: { instructionsLeft: number; compiled: Map<string, { test(input: string): boolean }> } | undefined;

/** Ajv's `code.regExp`: tenant patterns compile in RE2, never in the backtracking RegExp. */
function re2RegExp(pattern: string): { test(input: string): boolean } {
  const known = patternCompiles?.compiled.get(pattern);
  if (known) return known;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`a pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (err) {
    throw new Error(`pattern ${shown(pattern)} is not supported (Herald runs patterns in RE2, a linear-time engine: no backreferences or lookarounds): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const instructions = programSize(compiled);
  if (instructions > MAX_PATTERN_INSTRUCTIONS) {
    throw new Error(`pattern ${shown(pattern)} is too large (${instructions} RE2 instructions, at most ${MAX_PATTERN_INSTRUCTIONS})`);
  }
  if (patternCompiles) {
    patternCompiles.instructionsLeft -= instructions;
    if (patternCompiles.instructionsLeft < 0) throw new Error(`the schema's patterns together compile to more than ${MAX_SCHEMA_PATTERN_INSTRUCTIONS} RE2 instructions`);
  }
  // Ajv keys compiled patterns by toString(): keep it distinct per pattern.
  const engine = {
    test: (input: string) => {
      spendMatchWork((input.length + 1) * instructions);
      return compiled.test(input);
    },
    toString: () => `re2:${pattern}`,
  } as { test(input: string): boolean };
  patternCompiles?.compiled.set(pattern, engine);
  return engine;
}
// Ajv reads `.code` only when generating standalone code, which Herald never does.
re2RegExp.code = 're2RegExp';

/** A pattern as quoted in an error message: JSON-quoted, cut at 80 characters. */
function shown(pattern: string): string {
  return JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern);
}

/** Instructions of the compiled RE2 program: matching costs at most this many steps per character. */
function programSize(compiled: RE2JS): number {
  // re2js types its program as `any`; numInst() is RE2's own count.
  const prog = (compiled.re2() as unknown as { prog: { numInst(): number } }).prog;
  return prog.numInst();
}

/**
 * Compiles a tenant's schema. Throws an Error whose message says why a schema cannot be used
 * (invalid, unsupported pattern, too much fan-out, a reference cycle that never reaches the value's children).
 */
export function compileTenantSchema(schema: Record<string, unknown>): TenantSchemaValidator {
  const fanOut = schemaFanOut(schema);
  patternCompiles = { instructionsLeft: MAX_SCHEMA_PATTERN_INSTRUCTIONS, compiled: new Map() };
  try {
    const validate = newAjv(schema).compile(schema);
    return { validate, fanOut };
  } finally {
    patternCompiles = undefined;
  }
}

/**
 * Checks an event type's `schemas` (JSON Schemas keyed by version, "1", "2"…) the way ingest
 * will use them: each must pass its dialect's meta-schema and compile here, so a schema that
 * would make every message of the type fail is refused when it is written, not when messages come.
 */
export function tenantSchemaIssues(schemas: Record<string, unknown>, loc: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const objects = countJsonObjects(schemas, MAX_SCHEMA_OBJECTS + 1);
  if (objects > MAX_SCHEMA_OBJECTS) {
    return [{ loc, msg: `the schemas hold more than ${MAX_SCHEMA_OBJECTS} JSON objects (subschemas) in all; split or simplify them`, type: 'value_error.jsonschema' }];
  }
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
      compileTenantSchema(schema as Record<string, unknown>);
    } catch (err) {
      issues.push({ loc: at, msg: `not a usable JSON Schema: ${err instanceof Error ? err.message : String(err)}`, type: 'value_error.jsonschema' });
    }
  }
  return issues;
}

/** Number of values (objects, arrays, scalars, object keys) in a parsed JSON payload: what one validation walks. */
export function countJsonValues(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    count += 1;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        count += key.length > 0 ? 1 : 0;
        stack.push(item);
      }
    }
  }
  return count;
}

/** JSON objects in `value`, counting stops at `stopAt`. */
function countJsonObjects(value: unknown, stopAt: number): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && count < stopAt) {
    const current = stack.pop();
    if (Array.isArray(current)) stack.push(...(current as unknown[]));
    else if (typeof current === 'object' && current !== null) {
      count += 1;
      stack.push(...Object.values(current));
    }
  }
  return count;
}

function newAjv(schema: Record<string, unknown>): Ajv {
  const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  const ajv = dialect.includes('2020-12') ? new Ajv2020(AJV_OPTIONS) : dialect.includes('2019-09') ? new Ajv2019(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
  addFormats(ajv);
  // Ajv's own uniqueItems compares items pairwise (quadratic on arrays of objects).
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', validate: uniqueItems, errors: true });
  return ajv;
}

// Ajv reads a function keyword's errors from the function itself (validation is synchronous).
const uniqueItems: SchemaValidateFunction = (schema: boolean, data: unknown[]): boolean => {
  if (!schema) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i += 1) {
    const key = canonicalJson(data[i]);
    spendMatchWork(key.length + 1);
    const first = seen.get(key);
    if (first !== undefined) {
      uniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${first} and ${i} are identical)`, params: { i: first, j: i } }];
      return false;
    }
    seen.set(key, i);
  }
  return true;
};

/** JSON with object keys sorted: equal JSON values (as JSON Schema defines equality) give equal strings. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// Keywords whose subschemas apply to the same value, and those that apply to its children.
const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'];
const IN_PLACE_ONE = ['not', 'if', 'then', 'else'];
const IN_PLACE_MAPS = ['dependentSchemas', 'dependencies'];
const REFS = ['$ref', '$dynamicRef', '$recursiveRef'];
// Each applies its subschema to every child (or key) of the value.
const CHILD_ONE = ['items', 'additionalProperties', 'additionalItems', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];
// Of these, at most one entry applies to a given child (the property of that name, the item at that index).
const CHILD_ONE_OF_LIST = ['items', 'prefixItems'];
const CHILD_ONE_OF_MAP = ['properties'];

interface SchemaNode {
  inPlace: object[];
  /** Groups of subschemas for the value's children: all groups may apply to one child, at most one member of each. */
  childGroups: object[][];
}

/**
 * Most subschemas the schema applies to any single value of a payload nested at most
 * MAX_JSON_DEPTH deep: walks of the schema graph (`$ref`s followed) counted per depth, an
 * upper bound. Throws when it exceeds {@link MAX_SCHEMA_APPLICATIONS} or when references loop
 * without descending into the value (Ajv would recurse until the stack overflows).
 */
export function schemaFanOut(root: Record<string, unknown>): number {
  // Every subschema reachable from the root, in place or through a child.
  const nodes = new Map<object, SchemaNode>();
  const pending: object[] = [root];
  for (let schema = pending.pop(); schema !== undefined; schema = pending.pop()) {
    if (nodes.has(schema)) continue;
    const node = schemaNode(root, schema);
    nodes.set(schema, node);
    pending.push(...node.inPlace, ...node.childGroups.flat());
  }
  // In-place edges first-to-last (a subschema before those that apply it in place); a cycle
  // among them is a loop Ajv would follow forever on one value.
  const order: { schema: object; node: SchemaNode }[] = [];
  const state = new Map<object, 'open' | 'done'>();
  for (const [start, startNode] of nodes) {
    if (state.has(start)) continue;
    const stack: { schema: object; node: SchemaNode; next: number }[] = [{ schema: start, node: startNode, next: 0 }];
    state.set(start, 'open');
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const sub = top.node.inPlace[top.next];
      top.next += 1;
      if (sub !== undefined) {
        const seen = state.get(sub);
        if (seen === 'open') throw new Error('the schema references itself without descending into the value (a $ref loop through allOf/anyOf/oneOf/not/if)');
        const subNode = nodes.get(sub);
        if (seen === undefined && subNode) {
          state.set(sub, 'open');
          stack.push({ schema: sub, node: subNode, next: 0 });
        }
      } else {
        state.set(top.schema, 'done');
        order.push({ schema: top.schema, node: top.node });
        stack.pop();
      }
    }
  }
  // applied(s, d): subschemas applied to one value d levels below where s applies, saturating.
  // Depth by depth, each in O(nodes + edges).
  const cap = MAX_SCHEMA_APPLICATIONS + 1;
  let previous = new Map<object, number>();
  let worst = 0;
  for (let depth = 0; depth <= MAX_JSON_DEPTH; depth += 1) {
    const current = new Map<object, number>();
    let any = false;
    for (const { schema, node } of order) {
      let sum = 0;
      if (depth === 0) sum = 1;
      else {
        for (const group of node.childGroups) {
          let most = 0;
          for (const child of group) most = Math.max(most, previous.get(child) ?? 0);
          sum += most;
        }
      }
      for (const sub of node.inPlace) sum += current.get(sub) ?? 0;
      sum = Math.min(sum, cap);
      if (sum > 0) any = true;
      current.set(schema, sum);
    }
    worst = Math.max(worst, current.get(root) ?? 0);
    if (worst > MAX_SCHEMA_APPLICATIONS) throw tooMuchFanOut();
    if (!any) break;
    previous = current;
  }
  return worst;
}

function tooMuchFanOut(): Error {
  return new Error(`the schema may apply more than ${MAX_SCHEMA_APPLICATIONS} subschemas to one value (allOf/anyOf/oneOf/$ref fan-out); simplify it`);
}

function isSchemaObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaNode(root: Record<string, unknown>, schema: object): SchemaNode {
  const node: SchemaNode = { inPlace: [], childGroups: [] };
  const s = schema as Record<string, unknown>;
  for (const key of IN_PLACE_LISTS) if (Array.isArray(s[key])) node.inPlace.push(...(s[key] as unknown[]).filter(isSchemaObject));
  for (const key of IN_PLACE_ONE) if (isSchemaObject(s[key])) node.inPlace.push(s[key]);
  for (const key of IN_PLACE_MAPS) if (isSchemaObject(s[key])) node.inPlace.push(...Object.values(s[key]).filter(isSchemaObject));
  for (const key of REFS) if (typeof s[key] === 'string') node.inPlace.push(resolveRef(root, s[key]));
  for (const key of CHILD_ONE) if (isSchemaObject(s[key])) node.childGroups.push([s[key]]);
  for (const key of CHILD_ONE_OF_LIST) if (Array.isArray(s[key])) node.childGroups.push((s[key] as unknown[]).filter(isSchemaObject));
  for (const key of CHILD_ONE_OF_MAP) if (isSchemaObject(s[key])) node.childGroups.push(Object.values(s[key]).filter(isSchemaObject));
  // Several patterns may match one property name: each is a group of its own.
  if (isSchemaObject(s['patternProperties'])) for (const sub of Object.values(s['patternProperties']).filter(isSchemaObject)) node.childGroups.push([sub]);
  return node;
}

/**
 * The subschema a `$ref` names: a JSON pointer into this document, or a `$id`/`$anchor`
 * declared in it; anything else (which Ajv resolves only within the document anyway) counts
 * as the whole document, the costliest assumption.
 */
function resolveRef(root: Record<string, unknown>, ref: string): object {
  const hash = ref.indexOf('#');
  const fragment = hash >= 0 ? ref.slice(hash + 1) : '';
  const base = hash >= 0 ? ref.slice(0, hash) : ref;
  let start: unknown = root;
  if (base !== '') start = findSchema(root, (s) => typeof s['$id'] === 'string' && (s['$id'] === base || s['$id'].endsWith(`/${base}`))) ?? root;
  if (fragment === '' || fragment.startsWith('/')) {
    let target: unknown = start;
    for (const raw of fragment.split('/').slice(1)) {
      const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[segment] : undefined;
    }
    return typeof target === 'object' && target !== null ? target : root;
  }
  return findSchema(root, (s) => s['$anchor'] === fragment || s['$dynamicAnchor'] === fragment || s['$id'] === `#${fragment}`) ?? root;
}

function findSchema(root: object, match: (schema: Record<string, unknown>) => boolean): object | undefined {
  const stack: unknown[] = [root];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (!Array.isArray(current) && match(current as Record<string, unknown>)) return current;
    stack.push(...Object.values(current));
  }
  return undefined;
}
