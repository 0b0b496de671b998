/**
 * The schema editor holds one JSON Schema as text; the API stores schemas by version
 * (`{"1": {...}}`). Empty text means "no schema".
 */
export function parseSchemaText(text: string, version = '1'): { ok: true; schemas: Record<string, unknown> | null } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, schemas: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `The schema is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'The schema must be a JSON object.' };
  return { ok: true, schemas: { [version]: value } };
}
