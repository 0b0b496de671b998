import type { JsonSchema, OpenApiDocument } from '@herald/api-core';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/**
 * A self-contained HTML rendering of the OpenAPI document: no script, no stylesheet from
 * elsewhere (Herald runs without internet access), one section per tag, one entry per
 * operation with its access rule, parameters, request and response schemas.
 */
export function renderOpenApiHtml(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = ((op['tags'] as string[] | undefined) ?? ['other'])[0] ?? 'other';
      const list = byTag.get(tag) ?? [];
      list.push(renderOperation(method, path, op));
      byTag.set(tag, list);
    }
  }
  const tags = [...byTag.keys()].sort();
  const toc = tags.map((t) => `<li><a href="#tag-${escapeHtml(t)}">${escapeHtml(t)}</a></li>`).join('');
  const sections = tags
    .map((t) => `<section id="tag-${escapeHtml(t)}"><h2>${escapeHtml(t)}</h2>${(byTag.get(t) ?? []).join('\n')}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 2rem;color:#1d232a;line-height:1.45}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f4f6f8;padding:.6rem;overflow:auto;border-radius:4px;max-height:24rem}
details.op{border:1px solid #d5dbe1;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1565c0}.post{color:#2e7d32}.patch,.put{color:#ef6c00}.delete{color:#c62828}.head{color:#6a1b9a}
.access{font-size:.8rem;background:#eef1f4;border-radius:3px;padding:0 .35rem;margin-left:.5rem}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e3e7eb;padding:.2rem .6rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a> (OpenAPI ${escapeHtml(doc.openapi)}).</p>
<ul>${toc}</ul>
${sections}
</body></html>
`;
}

function renderOperation(method: string, path: string, op: JsonSchema): string {
  const access = String(op['x-herald-access'] ?? '');
  const parts: string[] = [];
  if (typeof op['description'] === 'string') parts.push(`<p>${escapeHtml(op['description'])}</p>`);
  const params = (op['parameters'] as JsonSchema[] | undefined) ?? [];
  if (params.length > 0) {
    const rows = params
      .map((p) => `<tr><td><code>${escapeHtml(String(p['name']))}</code></td><td>${escapeHtml(String(p['in']))}</td><td>${p['required'] ? 'required' : ''}</td><td><code>${escapeHtml(JSON.stringify(p['schema'] ?? {}))}</code></td></tr>`)
      .join('');
    parts.push(`<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th></th><th>schema</th></tr>${rows}</table>`);
  }
  const body = op['requestBody'] as { content?: Record<string, { schema?: unknown }> } | undefined;
  const bodySchema = body?.content?.['application/json']?.schema;
  if (bodySchema !== undefined) parts.push(`<h4>Request body (application/json)</h4><pre>${escapeHtml(JSON.stringify(bodySchema, null, 2))}</pre>`);
  const responses = (op['responses'] as Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }> | undefined) ?? {};
  for (const [status, res] of Object.entries(responses)) {
    const schema = res.content?.['application/json']?.schema;
    parts.push(`<h4>${escapeHtml(status)} ${escapeHtml(res.description ?? '')}</h4>${schema !== undefined ? `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>` : ''}`);
  }
  return `<details class="op"><summary><span class="m ${escapeHtml(method)}">${escapeHtml(method)}</span> <code>${escapeHtml(path)}</code><span class="access">${escapeHtml(access)}</span> — ${escapeHtml(String(op['summary'] ?? ''))}</summary>${parts.join('\n')}</details>`;
}
