import { renderToStaticMarkup } from 'react-dom/server';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { HeraldClient } from '../api/client';
import type { Attempt } from '../api/types';
import { HeraldProvider } from '../app/herald-context';
import { abilitiesOf, type Session } from '../auth/abilities';
import { AttemptsTable } from '../endpoints/attempts-table';
import { StatsChart } from '../endpoints/stats-chart';
import { matchApplications } from '../applications/applications-page';
import { verifyText } from '../audit-log/audit-log-page';
import { endpointInputOf } from '../endpoints/endpoint-form';

/** Components rendered to HTML (no browser): what they show for given data and abilities. */
const attempt: Attempt = {
  id: 'atmpt_1',
  url: 'https://r.example.com/',
  msgId: 'msg_1',
  endpointId: 'ep_1',
  response: '{"ok":false}',
  responseStatusCode: 500,
  responseDurationMs: 42,
  status: 2,
  statusText: 'fail',
  triggerType: 0,
  timestamp: '2026-12-05T10:00:00.000Z',
  msg: { id: 'msg_1', eventId: 'evt_1', eventType: 'invoice.paid', payload: { invoiceId: 'inv_1' }, channels: null, timestamp: '2026-12-05T10:00:00.000Z' },
};

function renderAs(session: Session, node: React.ReactNode): string {
  // The client is never called while rendering to a string (queries and mutations stay idle).
  const client = {} as HeraldClient;
  return renderToStaticMarkup(
    <QueryClientProvider client={new QueryClient()}>
      <HeraldProvider value={{ client, session, abilities: abilitiesOf(session) }}>{node}</HeraldProvider>
    </QueryClientProvider>,
  );
}

const portal = (capabilities: Session['capabilities']): Session => ({ kind: 'app_portal', tenantId: 't', appId: 'app_1', scopes: [], capabilities, expiresAt: null });

describe('AttemptsTable', () => {
  it('shows status, response code, duration and both bodies, and Resend for a token that may resend', () => {
    const html = renderAs(portal(['ViewBase', 'CreateAttempts']), <AttemptsTable appId="app_1" attempts={[attempt]} label="Attempts" />);
    expect(html).toContain('Failed');
    expect(html).toContain('>500<');
    expect(html).toContain('42 ms');
    expect(html).toContain('&quot;invoiceId&quot;: &quot;inv_1&quot;');
    expect(html).toContain('&quot;ok&quot;: false');
    expect(html).toContain('>Resend</button>');
  });

  it('has no Resend for a read-only token', () => {
    const html = renderAs(portal(['ViewBase']), <AttemptsTable appId="app_1" attempts={[attempt]} label="Attempts" />);
    expect(html).toContain('Failed');
    expect(html).not.toContain('Resend');
  });
});

describe('StatsChart', () => {
  it('draws one bar per outcome and day, scaled to the busiest day, with the numbers in a table', () => {
    const html = renderToStaticMarkup(
      <StatsChart
        days={[
          { label: '12-04', stats: { success: 3, fail: 1, pending: 0, sending: 0, canceled: 0 } },
          { label: '12-05', stats: { success: 0, fail: 0, pending: 2, sending: 0, canceled: 0 } },
        ]}
      />,
    );
    expect(html).toContain('aria-label="Deliveries over the last 2 days: 4 finished, 1 failed"');
    expect(html.match(/<rect /g)).toHaveLength(3);
    // The busiest day (4) fills the chart height less the top margin: 3/4 and 1/4 of 112.
    expect(html).toContain('height="84"');
    expect(html).toContain('height="28"');
    expect(html).toContain('<td>12-05</td><td>0</td><td>0</td><td>2</td>');
    expect(html).not.toContain('No deliveries');
  });

  it('says so when there were no deliveries', () => {
    const html = renderToStaticMarkup(<StatsChart days={[{ label: '12-05', stats: { success: 0, fail: 0, pending: 0, sending: 0, canceled: 0 } }]} />);
    expect(html).toContain('No deliveries in these days.');
    expect(html).not.toContain('<rect');
  });
});

describe('form and list helpers', () => {
  it('endpoint form: empty fields are "not set", channels split, rate limit a number', () => {
    expect(endpointInputOf({ url: ' https://x.example.com/h ', description: '', eventTypes: [], channels: 'a, b', rateLimit: '10' })).toEqual({
      url: 'https://x.example.com/h',
      description: '',
      eventTypes: null,
      channels: ['a', 'b'],
      rateLimit: 10,
    });
    expect(endpointInputOf({ url: 'u', description: 'd', eventTypes: ['t'], channels: '', rateLimit: ' ' })).toMatchObject({ eventTypes: ['t'], channels: null, rateLimit: null });
  });

  it('application search matches name, uid or id, case-insensitively', () => {
    const apps = [
      { id: 'app_1', uid: 'acme', name: 'Acme Corp' },
      { id: 'app_2', uid: null, name: 'Globex' },
    ];
    expect(matchApplications(apps, 'ACME').map((a) => a.id)).toEqual(['app_1']);
    expect(matchApplications(apps, 'app_2').map((a) => a.name)).toEqual(['Globex']);
    expect(matchApplications(apps, '  ')).toHaveLength(2);
    expect(matchApplications(apps, 'zzz')).toEqual([]);
  });

  it('audit verification in words', () => {
    expect(verifyText({ ok: true, checked: 12 })).toBe('The audit chain is intact: 12 entries checked.');
    expect(verifyText({ ok: false, checked: 3, brokenAt: 'aud_9' })).toBe('The audit chain is broken at entry aud_9 (3 entries checked before it).');
  });
});
