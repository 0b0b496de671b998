import type { ValidationIssue } from '@herald/tenancy';
import { parse as parseYaml } from 'yaml';
import { NAME_PATTERN } from './management.schemas';

/** One event type as an OpenAPI document's `webhooks` entry describes it. */
export interface ImportedEventType {
  name: string;
  description: string;
  deprecated: boolean;
  featureFlags: string[];
  groupName: string | null;
  /** `{"1": <request body schema, its examples included>}`, or null when the webhook has none. */
  schemas: Record<string, unknown> | null;
}

/** More webhooks than this in one document is refused (a catalog, not a data dump). */
export const MAX_IMPORTED_EVENT_TYPES = 1000;
/** Nodes a document may expand to while its `$ref`s are inlined (shared refs count each time). */
const MAX_EXPANDED_NODES = 200_000;
const MAX_NAME = 256;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `specRaw` as the client sends it: JSON, or YAML (aliases bounded by the parser's own limit). */
export function parseSpecRaw(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (jsonErr) {
    if (!(jsonErr instanceof SyntaxError)) throw jsonErr;
  }
  try {
    return { ok: true, value: parseYaml(text, { maxAliasCount: 100 }) as unknown };
  } catch (err) {
    return { ok: false, reason: `neither JSON nor YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}

class RefError extends Error {}

/**
 * Inlines local `$ref`s (`#/components/...`) so each event type's schema stands alone, as Herald
 * validates payloads against it. Recursive refs and expansion beyond a node budget are refused.
 */
class RefResolver {
  private nodes = 0;
  constructor(private readonly doc: Obj) {}

  resolve(value: Json, stack: string[] = []): Json {
    if (++this.nodes > MAX_EXPANDED_NODES) throw new RefError(`the document expands to more than ${MAX_EXPANDED_NODES} nodes once its $refs are inlined`);
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stack));
    if (!isObj(value)) return value;
    const ref = value['$ref'];
    if (typeof ref === 'string') {
      if (stack.includes(ref)) throw new RefError(`recursive $ref ${ref} cannot be inlined`);
      return this.resolve(this.target(ref), [...stack, ref]);
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.resolve(v, stack);
    return out;
  }

  /** Follows `$ref`s at the top of `value` only (a path item or an operation). */
  deref(value: Json | undefined): Json | undefined {
    for (let hops = 0; isObj(value) && typeof value['$ref'] === 'string'; hops++) {
      if (hops >= 20) throw new RefError('too many $ref hops');
      value = this.target(value['$ref']);
    }
    return value;
  }

  /** A JSON Pointer into this document (RFC 6901); other documents are not fetched. */
  private target(ref: string): Json {
    if (!ref.startsWith('#/')) throw new RefError(`only local $refs (#/…) are supported, not ${ref}`);
    let node: Json = this.doc;
    for (const raw of ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      const next: Json | undefined = isObj(node) ? node[key] : Array.isArray(node) && /^\d+$/.test(key) ? node[Number(key)] : undefined;
      if (next === undefined) throw new RefError(`$ref ${ref} points at nothing`);
      node = next;
    }
    return node;
  }
}

/**
 * The event types of an OpenAPI (3.1) document's `webhooks`: the key is the event type's
 * name; its `post` operation gives the description (`description`, else `summary`),
 * `deprecated`, the JSON request body's schema ($refs inlined) and examples (`example`,
 * `examples`, kept as the schema's `examples`, which send-example and the catalog read), and
 * Svix's extensions `x-svix-group-name` and `x-svix-feature-flag(s)`.
 */
export function eventTypesFromOpenApi(spec: unknown, loc: (string | number)[]): { types: ImportedEventType[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const fail = (at: (string | number)[], msg: string, type = 'value_error'): { types: ImportedEventType[]; issues: ValidationIssue[] } => {
    issues.push({ loc: [...loc, ...at], msg, type });
    return { types: [], issues };
  };
  if (!isObj(spec)) return fail([], 'must be an OpenAPI document (a JSON object)', 'type_error.dict');
  const webhooks = spec['webhooks'];
  if (!isObj(webhooks)) return fail(['webhooks'], 'the document has no webhooks section (OpenAPI 3.1 `webhooks`)');
  const entries = Object.entries(webhooks);
  if (entries.length > MAX_IMPORTED_EVENT_TYPES) return fail(['webhooks'], `at most ${MAX_IMPORTED_EVENT_TYPES} webhooks per import`);

  const resolver = new RefResolver(spec);
  const types: ImportedEventType[] = [];
  for (const [name, item] of entries) {
    const at = ['webhooks', name];
    const issue = (msg: string, sub: string[] = []): void => void issues.push({ loc: [...loc, ...at, ...sub], msg, type: 'value_error' });
    if (name.length > MAX_NAME || !NAME_PATTERN.test(name)) {
      issue(`an event type name must match ${NAME_PATTERN.source} and have at most ${MAX_NAME} characters`);
      continue;
    }
    try {
      const pathItem = resolver.deref(item);
      const op = isObj(pathItem) ? resolver.deref(pathItem['post']) : undefined;
      if (!isObj(op)) {
        issue('a webhook needs a post operation', ['post']);
        continue;
      }
      const description = typeof op['description'] === 'string' ? op['description'] : typeof op['summary'] === 'string' ? op['summary'] : '';
      const groupName = typeof op['x-svix-group-name'] === 'string' ? op['x-svix-group-name'] : null;
      const flagList = op['x-svix-feature-flags'];
      const flag = op['x-svix-feature-flag'];
      const featureFlags = Array.isArray(flagList) ? flagList.filter((f): f is string => typeof f === 'string') : typeof flag === 'string' ? [flag] : [];
      for (const [field, value] of [['x-svix-group-name', groupName], ...featureFlags.map((f) => ['x-svix-feature-flags', f])] as [string, string | null][]) {
        if (value !== null && (value.length > MAX_NAME || !NAME_PATTERN.test(value))) issue(`must match ${NAME_PATTERN.source}`, ['post', field]);
      }
      if (description.length > 65_536) issue('at most 65536 characters', ['post', 'description']);
      types.push({ name, description, deprecated: op['deprecated'] === true, featureFlags: [...new Set(featureFlags)], groupName, schemas: bodySchemas(op['requestBody'] === undefined ? undefined : resolver.resolve(op['requestBody'])) });
    } catch (err) {
      if (!(err instanceof RefError)) throw err;
      issue(err.message);
    }
  }
  return { types, issues };
}

/** The request body's JSON schema with its examples, as `{"1": schema}`; null without one. */
function bodySchemas(requestBody: Json | undefined): Record<string, unknown> | null {
  if (!isObj(requestBody) || !isObj(requestBody['content'])) return null;
  const content = requestBody['content'];
  const media = content['application/json'] ?? Object.values(content).find(isObj);
  if (!isObj(media) || !isObj(media['schema'])) return null;
  const schema: Obj = { ...media['schema'] };
  const examples: Json[] = Array.isArray(schema['examples']) ? [...schema['examples']] : [];
  if (media['example'] !== undefined) examples.push(media['example']);
  if (isObj(media['examples'])) {
    for (const ex of Object.values(media['examples'])) if (isObj(ex) && ex['value'] !== undefined) examples.push(ex['value']);
  }
  if (examples.length > 0) schema['examples'] = examples;
  return { '1': schema };
}

/** Key-order-insensitive equality of JSON values (PostgreSQL's jsonb does not keep key order). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
