/**
 * An example payload built from an event type's JSON Schema (its `examples`, `example`,
 * `default`, `const` or first `enum` value when present, else a value of the declared type),
 * so the catalog can show what a message looks like.
 */
export function exampleFromSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s['examples']) && s['examples'].length > 0) return s['examples'][0];
  if ('example' in s) return s['example'];
  if ('default' in s) return s['default'];
  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  switch (type) {
    case 'object': {
      const props = (s['properties'] ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, exampleFromSchema(v, depth + 1)]));
    }
    case 'array':
      return s['items'] === undefined ? [] : [exampleFromSchema(s['items'], depth + 1)];
    case 'string':
      return s['format'] === 'date-time' ? '2024-01-01T00:00:00Z' : 'string';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** The newest version's schema of an event type's `schemas` map ({"1": {...}, "2": {...}}). */
export function latestSchema(schemas: Record<string, unknown> | null | undefined): { version: string; schema: unknown } | null {
  if (!schemas) return null;
  const versions = Object.keys(schemas).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const version = versions[versions.length - 1];
  return version === undefined ? null : { version, schema: schemas[version] };
}
