import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface Settings {
  payloadRetentionDays: number;
  attemptRetentionDays: number;
  metadataRetentionDays: number;
  operationalWebhookUrl: string | null;
  operationalWebhookSecret: string | null;
  throttleRate: number | null;
  sendSvixHeaders: boolean;
}

const PATH = '/api/v1/tenant/settings';

describe('/api/v1/tenant/settings', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS: '30' });
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  const readKey = async (apiKey: string): Promise<string> =>
    (await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: apiKey, body: { name: 'reader', scopes: ['read'] } })).body.key;
  const auditActions = async (tenantId: string): Promise<string[]> =>
    (await prisma.auditLogEntry.findMany({ where: { tenantId }, orderBy: { seq: 'asc' }, select: { action: true } })).map((e) => e.action);

  it('starts from the operator defaults', async () => {
    const { apiKey } = await api.createTenant();
    const res = await api.call<Settings>('GET', PATH, { token: apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      payloadRetentionDays: 30,
      attemptRetentionDays: 30,
      metadataRetentionDays: 90,
      operationalWebhookUrl: null,
      operationalWebhookSecret: null,
      throttleRate: null,
      sendSvixHeaders: false,
    });
  });

  it('changes retention, throttle and headers, auditing the changed field names', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const res = await api.call<Settings>('PATCH', PATH, {
      token: apiKey,
      body: { payloadRetentionDays: 7, attemptRetentionDays: 30, metadataRetentionDays: 365, throttleRate: 50, sendSvixHeaders: true },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ payloadRetentionDays: 7, attemptRetentionDays: 30, metadataRetentionDays: 365, throttleRate: 50, sendSvixHeaders: true });
    expect((await api.call<Settings>('GET', PATH, { token: apiKey })).body).toEqual(res.body);
    const entry = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, action: 'tenant.settings.updated' } });
    // attemptRetentionDays was already 30: not a change.
    expect(entry.details).toEqual({ fields: ['payloadRetentionDays', 'metadataRetentionDays', 'throttleRate', 'sendSvixHeaders'] });
    const cleared = await api.call<Settings>('PATCH', PATH, { token: apiKey, body: { throttleRate: null } });
    expect(cleared.body.throttleRate).toBeNull();
  });

  it('refuses invalid values with 422 and changes nothing', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const before = await prisma.tenantSettings.findUniqueOrThrow({ where: { tenantId } });
    const auditBefore = await prisma.auditLogEntry.count({ where: { tenantId } });
    const cases: [Record<string, unknown>, string][] = [
      [{ payloadRetentionDays: 31 }, 'payloadRetentionDays'], // above the operator's maximum
      [{ payloadRetentionDays: 0 }, 'payloadRetentionDays'],
      [{ attemptRetentionDays: 1.5 }, 'attemptRetentionDays'],
      [{ metadataRetentionDays: '10' }, 'metadataRetentionDays'],
      [{ throttleRate: 0 }, 'throttleRate'],
      [{ sendSvixHeaders: 'yes' }, 'sendSvixHeaders'],
      [{ operationalWebhookUrl: 'not a url' }, 'operationalWebhookUrl'],
      [{ operationalWebhookUrl: 'ftp://example.com/x' }, 'operationalWebhookUrl'],
      [{ operationalWebhookUrl: 'http://10.0.0.1/hook' }, 'operationalWebhookUrl'],
      [{ operationalWebhookUrl: 'http://169.254.169.254/latest' }, 'operationalWebhookUrl'],
      [{ operationalWebhookUrl: 'http://0x7f000001/hook' }, 'operationalWebhookUrl'],
      [{ operationalWebhookUrl: 'https://user:pw@example.com/' }, 'operationalWebhookUrl'],
      [{ payloadRetentionDays: 5, operationalWebhookUrl: 'http://[::ffff:127.0.0.1]/' }, 'operationalWebhookUrl'],
    ];
    for (const [body, field] of cases) {
      const res = await api.call<{ detail: { loc: string[] }[] }>('PATCH', PATH, { token: apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail.map((d) => d.loc[1])).toContain(field);
    }
    expect(await prisma.tenantSettings.findUniqueOrThrow({ where: { tenantId } })).toEqual(before);
    expect(await prisma.auditLogEntry.count({ where: { tenantId } })).toBe(auditBefore);
  });

  it('refuses http:// operational webhook URLs when HTTPS is required', async () => {
    const strict = await startTestApi({ HERALD_ENDPOINT_HTTPS_ONLY: 'true' });
    try {
      const { apiKey } = await strict.createTenant();
      expect((await strict.call('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: 'http://example.com/ops' } })).status).toBe(422);
      expect((await strict.call('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: 'https://example.com/ops' } })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('generates the operational-webhook secret with the first URL, stores it encrypted, shows it to `all` keys only (audited)', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const reader = await readKey(apiKey);
    const set = await api.call<Settings>('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: 'https://ops.example.com/hooks' } });
    expect(set.status).toBe(200);
    expect(set.body.operationalWebhookUrl).toBe('https://ops.example.com/hooks');
    const secret = set.body.operationalWebhookSecret!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const updated = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, action: 'tenant.settings.updated' } });
    expect(updated.details).toEqual({ fields: ['operationalWebhookUrl', 'operationalWebhookSecret'] });

    // Stored as the secret of the tenant's operational endpoint, sealed with the tenant's key.
    const row = await prisma.endpointSecret.findFirstOrThrow({ where: { tenantId, endpoint: { uid: 'tenant-settings', application: { kind: 'operational' } } } });
    expect(Buffer.from(row.secretEnc).includes(Buffer.from(secret.slice(6)))).toBe(false);
    expect(Buffer.from(row.secretEnc).includes(Buffer.from(secret.slice(6), 'base64'))).toBe(false);

    const revealedBefore = (await auditActions(tenantId)).filter((a) => a === 'tenant.operational_webhook_secret.revealed').length;
    const asReader = await api.call<Settings>('GET', PATH, { token: reader });
    expect(asReader.status).toBe(200);
    expect(asReader.body.operationalWebhookSecret).toBeNull();
    expect(asReader.body.operationalWebhookUrl).toBe('https://ops.example.com/hooks');
    expect((await auditActions(tenantId)).filter((a) => a === 'tenant.operational_webhook_secret.revealed').length).toBe(revealedBefore);

    const asAll = await api.call<Settings>('GET', PATH, { token: apiKey });
    expect(asAll.body.operationalWebhookSecret).toBe(secret);
    expect((await auditActions(tenantId)).filter((a) => a === 'tenant.operational_webhook_secret.revealed').length).toBe(revealedBefore + 1);

    // A new URL keeps the secret (receivers keep verifying); it is read-only.
    const moved = await api.call<Settings>('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: 'https://ops2.example.com/', operationalWebhookSecret: 'whsec_mine' } });
    expect(moved.status).toBe(200);
    expect(moved.body.operationalWebhookSecret).toBe(secret);
    const cleared = await api.call<Settings>('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: null } });
    expect(cleared.body.operationalWebhookUrl).toBeNull();
    const again = await api.call<Settings>('PATCH', PATH, { token: apiKey, body: { operationalWebhookUrl: 'https://ops3.example.com/' } });
    expect(again.body.operationalWebhookSecret).toBe(secret);
  });

  it("one tenant's settings never touch another's", async () => {
    const a = await api.createTenant();
    const b = await api.createTenant();
    const before = (await api.call<Settings>('GET', PATH, { token: b.apiKey })).body;
    await api.call('PATCH', PATH, { token: a.apiKey, body: { payloadRetentionDays: 3, operationalWebhookUrl: 'https://a.example.com/' } });
    expect((await api.call<Settings>('GET', PATH, { token: b.apiKey })).body).toEqual(before);
  });
});
