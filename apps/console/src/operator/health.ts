/** Health as the API reports it: 200/204 healthy, 503 not; the JSON report when there is one. */
export interface HealthView {
  healthy: boolean;
  status: number;
  checks: { name: string; ok: boolean }[];
  workers: { name: string; count: number }[];
}

export function healthView(status: number, body: unknown): HealthView {
  const view: HealthView = { healthy: status >= 200 && status < 300, status, checks: [], workers: [] };
  if (typeof body !== 'object' || body === null) return view;
  const report = body as Record<string, unknown>;
  for (const [name, value] of Object.entries(report)) {
    if (name === 'status') continue;
    if (value === 'ok' || value === 'error') view.checks.push({ name, ok: value === 'ok' });
    else if (typeof value === 'object' && value !== null && 'status' in value) {
      const s = (value as { status: unknown }).status;
      if (s === 'ok' || s === 'error') view.checks.push({ name, ok: s === 'ok' });
    }
  }
  const workers = report['workers'];
  if (typeof workers === 'object' && workers !== null) {
    for (const [name, count] of Object.entries(workers)) if (typeof count === 'number') view.workers.push({ name, count });
  }
  return view;
}
