import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '@herald/queue';
import { createTestDatabase, deleteRedisPrefix, dropTestDatabase, singleRedisUrl, startWebhookReceiver, TEST_ADMIN_TOKEN, TEST_MASTER_KEYS, type WebhookReceiver } from '@herald/testing';
import { CHROMIUM, launchBrowser, seriousViolations, type Browser, type TrackedPage } from './browser';
import { startTestApi, type TestApi } from './harness';

/**
 * The web UI end to end: Debian's Chromium, driven by Playwright, against the real API (in
 * this process), the real dispatcher (the built process), PostgreSQL, Redis and a webhook
 * receiver on 127.0.0.1. Elements are found by role and accessible name, as a person using a
 * screen reader would; axe-core checks each main page. Screenshots go to dist/ui-screenshots.
 */
const DISPATCHER = resolve('dist/apps/dispatcher/src/main.js');
const UI_BUILD = resolve('dist/console/console.html');
const SHOTS = resolve('dist/ui-screenshots');

interface Endpoint {
  id: string;
  url: string;
}

describe('web UI in Chromium', () => {
  let db: { url: string; name: string };
  let api: TestApi;
  let receiver: WebhookReceiver;
  let dispatcher: ChildProcess | undefined;
  let dispatcherOutput = '';
  let browser: Browser;
  const prefix = `${inject('queuePrefix')}-ui-${randomBytes(4).toString('hex')}`;

  let tenant: { tenantId: string; apiKey: string };
  let appX: string;
  let appY: string;
  let okEndpoint: Endpoint;
  let failEndpoint: Endpoint;
  let otherAppEndpoint: Endpoint;
  let portalUrl: string;
  let readOnlyUrl: string;
  const eventIds = ['evt-ui-1', 'evt-ui-2', 'evt-ui-3'];

  const call = async <T>(method: string, path: string, body?: unknown, token = tenant.apiKey): Promise<T> => {
    const res = await api.call<T>(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
    return res.body;
  };
  const waitUntil = async (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dispatcherOutput.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const shot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const expectAxeClean = async (tracked: TrackedPage, what: string): Promise<void> => {
    const violations = await seriousViolations(tracked.page);
    expect(violations, `${what}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
  };
  const expectNoProblems = (tracked: TrackedPage, what: string): void => {
    // CSP violations and script errors surface as console errors. The browser also logs every
    // 401/404 response; those are answers the tests provoke (a rejected token, an exact
    // application lookup that finds nothing) and the UI shows them in words.
    expect(tracked.problems.filter((p) => !/Failed to load resource: the server responded with a status of (401|404)/.test(p)), what).toEqual([]);
  };

  beforeAll(async () => {
    for (const file of [DISPATCHER, UI_BUILD]) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    mkdirSync(SHOTS, { recursive: true });
    db = await createTestDatabase();
    receiver = await startWebhookReceiver({
      handler: (req) => (req.path.startsWith('/fail') ? { status: 500, body: '{"error":"receiver down"}' } : { status: 200, body: '{"received":true}' }),
    });
    const env = {
      DATABASE_URL: db.url,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      HERALD_RETRY_SCHEDULE: '1,1',
    };
    api = await startTestApi(env);
    dispatcher = spawn(process.execPath, [DISPATCHER], {
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'test',
        REDIS_URL: singleRedisUrl(api.config),
        HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
        HERALD_ENDPOINT_HTTPS_ONLY: 'false',
        HERALD_DISPATCHER_METRICS_PORT: '0',
        HERALD_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dispatcher.stdout?.on('data', (c: Buffer) => (dispatcherOutput = (dispatcherOutput + c.toString()).slice(-20_000)));
    dispatcher.stderr?.on('data', (c: Buffer) => (dispatcherOutput = (dispatcherOutput + c.toString()).slice(-20_000)));

    // A tenant with a catalog, the customer's application X (two endpoints: one answers 200,
    // one 500) and another application Y that the portal of X must never show.
    tenant = await api.createTenant('ui tenant');
    await call('POST', '/api/v1/event-type', {
      name: 'invoice.paid',
      description: 'An invoice was paid in full.',
      schemas: { '1': { type: 'object', properties: { invoiceId: { type: 'string', examples: ['inv_42'] }, amount: { type: 'integer' } }, required: ['invoiceId'] } },
    });
    await call('POST', '/api/v1/event-type', { name: 'user.created', description: 'A user signed up.' });
    appX = (await call<{ id: string }>('POST', '/api/v1/app', { name: 'Acme Corp', uid: 'acme' })).id;
    appY = (await call<{ id: string }>('POST', '/api/v1/app', { name: 'Globex', uid: 'globex' })).id;
    okEndpoint = await call<Endpoint>('POST', `/api/v1/app/${appX}/endpoint`, { url: `${receiver.url}/ok`, description: 'Billing service' });
    failEndpoint = await call<Endpoint>('POST', `/api/v1/app/${appX}/endpoint`, { url: `${receiver.url}/fail`, description: 'Legacy hook', eventTypes: ['invoice.paid'] });
    otherAppEndpoint = await call<Endpoint>('POST', `/api/v1/app/${appY}/endpoint`, { url: 'https://globex.example.com/hooks' });
    for (const [i, eventId] of eventIds.entries()) {
      await call('POST', `/api/v1/app/${appX}/msg`, { eventType: 'invoice.paid', eventId, payload: { invoiceId: `inv_${i}`, amount: 100 * (i + 1) }, channels: ['billing'] });
    }
    // Every message reached both endpoints once (the failing one keeps retrying).
    await receiver.waitFor((r) => r.filter((q) => q.path === '/ok').length >= 3 && r.filter((q) => q.path === '/fail').length >= 3, 20_000);
    await waitUntil('attempts recorded', async () => {
      const list = await call<{ data: unknown[] }>('GET', `/api/v1/app/${appX}/attempt/endpoint/${failEndpoint.id}`);
      return list.data.length >= 3;
    });
    portalUrl = (await call<{ url: string }>('POST', `/api/v1/auth/app-portal-access/${appX}`, {})).url;
    readOnlyUrl = (await call<{ url: string }>('POST', `/api/v1/auth/app-portal-access/${appX}`, { readOnly: true })).url;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dispatcher && dispatcher.exitCode === null && dispatcher.signalCode === null) {
      const exited = new Promise((r) => dispatcher!.once('exit', r));
      dispatcher.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (dispatcher.exitCode === null && dispatcher.signalCode === null) dispatcher.kill('SIGKILL');
    }
    await api?.close();
    await receiver?.close();
    // Only what beforeAll got to start: a missing Chromium stops it before the API exists.
    if (api) {
      const redis = createRedis(api.config.redis.connection);
      await deleteRedisPrefix(redis, prefix);
      await redis.quit();
    }
    if (db) await dropTestDatabase(db.name);
  });

  describe('app portal', () => {
    it("opens from the app-portal-access URL, takes the token out of the address bar and lists only its application's endpoints", async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      expect(new URL(portalUrl).pathname).toBe('/app-portal');
      await page.goto(portalUrl);
      await expect.poll(() => page.getByRole('heading', { name: 'Endpoints', level: 1 }).isVisible()).toBe(true);
      expect(page.url()).toBe(`${api.url}/app-portal`);
      await expect.poll(() => page.getByRole('link', { name: okEndpoint.url }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('link', { name: failEndpoint.url }).isVisible()).toBe(true);
      expect(await page.getByText(otherAppEndpoint.url).count()).toBe(0);
      // The application's name; each endpoint's status and success rate (of finished deliveries).
      await expect.poll(() => page.getByText('Acme Corp').isVisible()).toBe(true);
      const row = (url: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: url }) });
      await expect.poll(() => row(okEndpoint.url).textContent()).toContain('Enabled');
      await expect.poll(() => row(okEndpoint.url).textContent()).toContain('100%');
      // The 500-answering endpoint: failing, or with its circuit open once enough attempts failed.
      await expect.poll(() => row(failEndpoint.url).textContent()).toMatch(/Failing|Circuit open/);
      await shot(page, 'portal-endpoints');
      await expectAxeClean(tracked, 'portal endpoints');
      expectNoProblems(tracked, 'portal endpoints');
      await page.close();
    });

    it('creates an endpoint, reveals the secret the API holds, rotates it', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await page.goto(portalUrl);
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
      await dialog.getByRole('textbox', { name: 'URL' }).fill('https://hooks.acme.example.com/herald');
      await dialog.getByRole('textbox', { name: 'Description' }).fill('Created in the portal');
      await dialog.getByRole('checkbox', { name: 'user.created' }).check();
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'https://hooks.acme.example.com/herald', level: 1 }).isVisible()).toBe(true);

      const created = (await call<{ data: (Endpoint & { description: string; eventTypes: string[] | null })[] }>('GET', `/api/v1/app/${appX}/endpoint?limit=250`)).data.find(
        (e) => e.url === 'https://hooks.acme.example.com/herald',
      );
      expect(created).toMatchObject({ description: 'Created in the portal', eventTypes: ['user.created'] });
      expect(page.url()).toBe(`${api.url}/app-portal/endpoints/${created!.id}`);

      await page.getByRole('button', { name: 'Reveal secret' }).click();
      const secretText = page.getByLabel('Signing secret value');
      await expect.poll(() => secretText.textContent()).toMatch(/^whsec_/);
      const apiSecret = await call<{ key: string }>('GET', `/api/v1/app/${appX}/endpoint/${created!.id}/secret`);
      expect(await secretText.textContent()).toBe(apiSecret.key);
      await expectAxeClean(tracked, 'portal endpoint detail');
      await shot(page, 'portal-endpoint');

      await page.getByRole('button', { name: 'Rotate secret' }).click();
      await page.getByRole('dialog', { name: 'Rotate the signing secret?' }).getByRole('button', { name: 'Rotate' }).click();
      await expect.poll(() => page.getByText('Secret rotated.').isVisible()).toBe(true);
      const rotated = await call<{ key: string }>('GET', `/api/v1/app/${appX}/endpoint/${created!.id}/secret`);
      expect(rotated.key).not.toBe(apiSecret.key);
      await expect.poll(() => secretText.textContent()).toBe(rotated.key);
      expectNoProblems(tracked, 'portal endpoint detail');
      await page.close();
    });

    it('lists messages with filters, shows a payload and where it went, and resends an attempt', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await page.goto(portalUrl);
      await page.getByRole('link', { name: 'Messages' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Messages', level: 1 }).isVisible()).toBe(true);
      for (const eventId of eventIds) await expect.poll(() => page.getByRole('link', { name: eventId }).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'portal messages');
      await shot(page, 'portal-messages');

      // Filter: only what failed at the failing endpoint.
      await page.getByRole('combobox', { name: 'Endpoint' }).selectOption({ label: failEndpoint.url });
      await page.getByRole('combobox', { name: 'Status' }).selectOption({ label: 'Succeeded' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => page.getByText('No messages match these filters.').isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Clear' }).click();

      await page.getByRole('link', { name: eventIds[0]! }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Payload' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByLabel('Payload JSON').textContent()).toContain('"invoiceId": "inv_0"');
      await expect.poll(() => page.getByRole('region', { name: 'Destinations' }).getByRole('link', { name: failEndpoint.url }).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'portal message detail');

      // Resend one attempt from the endpoint's attempt list (the endpoint that answers 200, so the
      // resend is not parked behind the failing endpoint's open circuit).
      await page.getByRole('region', { name: 'Destinations' }).getByRole('link', { name: okEndpoint.url }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Message attempts' }).isVisible()).toBe(true);
      const before = receiver.requests.filter((r) => r.path === '/ok').length;
      const attemptsBefore = (await call<{ data: unknown[] }>('GET', `/api/v1/app/${appX}/attempt/endpoint/${okEndpoint.id}?limit=250`)).data.length;
      await page.getByRole('region', { name: 'Message attempts' }).getByRole('button', { name: 'Resend' }).first().click();
      await expect.poll(() => page.getByText('Resend queued.').isVisible()).toBe(true);
      await receiver.waitFor((r) => r.filter((q) => q.path === '/ok').length > before, 15_000);
      await waitUntil('the resent attempt', async () => (await call<{ data: unknown[] }>('GET', `/api/v1/app/${appX}/attempt/endpoint/${okEndpoint.id}?limit=250`)).data.length > attemptsBefore);
      // The new attempt is listed (manual trigger) once the page refreshes its list.
      await page.reload();
      // Header row + the attempts before + the new one.
      await expect.poll(() => page.getByRole('table').last().getByRole('row').count()).toBe(attemptsBefore + 2);
      expectNoProblems(tracked, 'portal resend');
      await page.close();
    });

    it('shows the event catalog with descriptions, schemas and examples', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await page.goto(portalUrl);
      await page.getByRole('link', { name: 'Event catalog' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'invoice.paid' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByText('An invoice was paid in full.').isVisible()).toBe(true);
      await page.getByText('Schema (version 1) and example').click();
      await expect.poll(() => page.getByLabel('Example of invoice.paid').textContent()).toContain('"invoiceId": "inv_42"');
      await expectAxeClean(tracked, 'portal event catalog');
      await page.close();
    });

    it('gives a read-only token every view but no control that changes anything', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await page.goto(readOnlyUrl);
      await expect.poll(() => page.getByRole('link', { name: failEndpoint.url }).isVisible()).toBe(true);
      expect(await page.getByText('Read-only access').isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Add endpoint' }).count()).toBe(0);
      await page.getByRole('link', { name: failEndpoint.url }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Message attempts' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('region', { name: 'Message attempts' }).getByRole('row').count()).toBeGreaterThan(1);
      for (const name of ['Rotate secret', 'Reveal secret', 'Resend', 'Delete endpoint', 'Edit endpoint', 'Disable endpoint', 'Send example', 'Recover failed messages', 'Save headers']) {
        expect(await page.getByRole('button', { name }).count(), name).toBe(0);
      }
      await page.getByRole('link', { name: 'Messages' }).click();
      await expect.poll(() => page.getByRole('link', { name: eventIds[1]! }).isVisible()).toBe(true);
      await page.getByRole('link', { name: eventIds[1]! }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Where it went' }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Resend' }).count()).toBe(0);
      await expectAxeClean(tracked, 'read-only portal');
      expectNoProblems(tracked, 'read-only portal');
      await page.close();
    });

    it('shows a clear message and no data for a tampered or missing token', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      const token = decodeURIComponent(new URL(portalUrl).hash.slice('#token='.length));
      const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      await page.goto(`${api.url}/app-portal#token=${encodeURIComponent(tampered)}`);
      await expect.poll(() => page.getByRole('heading', { name: 'Webhooks' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('This link is invalid or has expired');
      const text = (await page.textContent('body')) ?? '';
      for (const secretish of [okEndpoint.url, failEndpoint.url, 'Acme Corp', ...eventIds]) expect(text).not.toContain(secretish);
      expect(await page.getByRole('heading', { name: 'Endpoints' }).count()).toBe(0);
      expect(page.url()).toBe(`${api.url}/app-portal`);
      await expectAxeClean(tracked, 'rejected portal');
      await shot(page, 'portal-rejected');

      const bare = await browser.newPage();
      await bare.page.goto(`${api.url}/app-portal`);
      await expect.poll(() => bare.page.getByRole('alert').textContent()).toContain('No access token');
      await bare.page.close();
      await page.close();
    });

    it("fits a phone's width (375 px) and works with the keyboard alone", async () => {
      const tracked = await browser.newPage({ width: 375, height: 812 });
      const { page } = tracked;
      await page.goto(portalUrl);
      await expect.poll(() => page.getByRole('link', { name: okEndpoint.url }).isVisible()).toBe(true);
      // Nothing wider than the screen: wide tables scroll inside their own region.
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await shot(page, 'portal-phone');

      // Keyboard: Tab reaches "Add endpoint", Enter opens the dialog with focus inside it, Escape closes it.
      let reached = false;
      for (let i = 0; i < 25 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate<boolean>("document.activeElement?.textContent === 'Add endpoint'");
      }
      expect(reached).toBe(true);
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByRole('dialog', { name: 'Add endpoint' }).isVisible()).toBe(true);
      expect(await page.evaluate<boolean>("document.activeElement?.closest('dialog') !== null")).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog', { name: 'Add endpoint' }).isVisible()).toBe(false);
      await expectAxeClean(tracked, 'portal on a phone');
      await page.close();
    });
  });

  describe('console', () => {
    const signIn = async (page: Page, key: string): Promise<void> => {
      await page.goto(`${api.url}/console`);
      await page.getByRole('textbox', { name: 'API key' }).fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
    };

    it('refuses a wrong key with an error and shows no data', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await page.goto(`${api.url}/console`);
      await expect.poll(() => page.getByRole('textbox', { name: 'API key' }).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'console sign-in');
      await signIn(page, 'hrld_this-is-not-a-key');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Sign-in failed');
      expect(await page.getByRole('alert').textContent()).toContain('not accepted');
      expect(await page.getByRole('heading', { name: 'Applications' }).count()).toBe(0);
      expect((await page.textContent('body')) ?? '').not.toContain('Acme Corp');
      expect(page.url()).not.toContain('hrld_');
      await page.close();
    });

    it('signs in with a tenant key (never in the URL), lists, searches and creates applications', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await signIn(page, tenant.apiKey);
      await expect.poll(() => page.getByRole('heading', { name: 'Applications', level: 1 }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('link', { name: 'Acme Corp' }).isVisible()).toBe(true);
      expect(await page.getByRole('link', { name: 'Globex' }).isVisible()).toBe(true);
      expect(page.url()).toBe(`${api.url}/console/applications`);
      await expectAxeClean(tracked, 'console applications');
      await shot(page, 'console-applications');

      await page.getByRole('searchbox', { name: 'Search applications' }).fill('glob');
      await expect.poll(() => page.getByRole('link', { name: 'Acme Corp' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: 'Globex' }).isVisible()).toBe(true);
      await page.getByRole('searchbox', { name: 'Search applications' }).fill('');

      await page.getByRole('button', { name: 'Create application' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create application' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill('Initech');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Initech', level: 1 }).isVisible()).toBe(true);
      const apps = await call<{ data: { name: string }[] }>('GET', '/api/v1/app?limit=250');
      expect(apps.data.map((a) => a.name)).toContain('Initech');

      // An application's endpoints and messages, as in the portal.
      await page.getByRole('link', { name: 'Applications' }).first().click();
      await page.getByRole('link', { name: 'Acme Corp' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'Endpoints' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('link', { name: okEndpoint.url }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: 'Add endpoint' }).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'console application');
      await shot(page, 'console-application');
      await page.getByRole('link', { name: 'Messages' }).click();
      await expect.poll(() => page.getByRole('link', { name: eventIds[2]! }).isVisible()).toBe(true);
      expectNoProblems(tracked, 'console applications');
      await page.close();
    });

    it('creates an API key (its secret shown once) and revokes it', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await signIn(page, tenant.apiKey);
      await page.getByRole('link', { name: 'API keys' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'API keys' }).isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Create API key' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create API key' });
      await dialog.getByRole('textbox', { name: 'Key name' }).fill('ci-reader');
      await dialog.getByRole('radio', { name: /^Read/ }).check();
      await dialog.getByRole('textbox', { name: 'Allowed networks (optional)' }).fill('127.0.0.0/8');
      await dialog.getByRole('button', { name: 'Create' }).click();
      const shown = page.getByLabel('New API key');
      await expect.poll(() => shown.textContent()).toMatch(/^hrld_/);
      const newKey = (await shown.textContent())!;
      // The key works, with the scope chosen: read yes, write no.
      expect((await api.call('GET', '/api/v1/app', { token: newKey })).status).toBe(200);
      expect((await api.call('POST', '/api/v1/app', { token: newKey, body: { name: 'nope' } })).status).toBe(403);
      await expectAxeClean(tracked, 'console API keys');
      await page.getByRole('button', { name: 'I have copied it' }).click();
      expect(await page.getByLabel('New API key').count()).toBe(0);

      await page.getByRole('button', { name: 'Revoke ci-reader' }).click();
      await page.getByRole('dialog', { name: 'Revoke “ci-reader”?' }).getByRole('button', { name: 'Revoke' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Revoke ci-reader' }).count()).toBe(0);
      expect((await api.call('GET', '/api/v1/app', { token: newKey })).status).toBe(401);
      expectNoProblems(tracked, 'console API keys');
      await page.close();
    });

    it('verifies the audit log and shows the chain result; settings and event types render', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await signIn(page, tenant.apiKey);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await expect.poll(() => page.getByRole('region', { name: 'Audit log' }).getByText('endpoint.created').first().isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Verify' }).click();
      const verify = await call<{ ok: boolean; checked: number }>('GET', '/api/v1/audit-log/verify');
      expect(verify.ok).toBe(true);
      await expect.poll(() => page.getByText(/The audit chain is intact: \d+ entries checked\./).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'console audit log');
      await shot(page, 'console-audit-log');

      await page.getByRole('link', { name: 'Settings' }).click();
      await expect.poll(() => page.getByRole('spinbutton', { name: 'Message payloads' }).isVisible()).toBe(true);
      await page.getByRole('spinbutton', { name: 'Message payloads' }).fill('30');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => page.getByText('Settings saved.').isVisible()).toBe(true);
      expect((await call<{ payloadRetentionDays: number }>('GET', '/api/v1/tenant/settings')).payloadRetentionDays).toBe(30);
      await expectAxeClean(tracked, 'console settings');

      await page.getByRole('link', { name: 'Event types' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'user.created' }).isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Create event type' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create event type' });
      await dialog.getByRole('textbox', { name: 'Name' }).fill('order.shipped');
      await dialog.getByRole('textbox', { name: 'JSON Schema' }).fill('{"type": "object"');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('not valid JSON');
      await dialog.getByRole('textbox', { name: 'JSON Schema' }).fill('{"type": "object", "properties": {"orderId": {"type": "string"}}}');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'order.shipped' }).isVisible()).toBe(true);
      await page.getByRole('button', { name: 'Archive order.shipped' }).click();
      await page.getByRole('dialog', { name: 'Archive order.shipped?' }).getByRole('button', { name: 'Archive' }).click();
      await expect.poll(() => page.getByRole('heading', { name: 'order.shipped' }).count()).toBe(0);
      expect((await call<{ archived: boolean; schemas: unknown }>('GET', '/api/v1/event-type/order.shipped')).archived).toBe(true);
      await expectAxeClean(tracked, 'console event types');
      expectNoProblems(tracked, 'console audit, settings, event types');
      await page.close();
    });

    it('signs the operator in to tenants, health, queue depth and failing endpoints', async () => {
      const tracked = await browser.newPage();
      const { page } = tracked;
      await signIn(page, api.adminToken);
      await expect.poll(() => page.getByRole('heading', { name: 'Tenants', level: 1 }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('cell', { name: 'ui tenant', exact: true }).isVisible()).toBe(true);
      await expectAxeClean(tracked, 'console tenants');

      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.getByRole('dialog', { name: 'Create tenant' }).getByRole('textbox', { name: 'Tenant name' }).fill('Short-lived');
      await page.getByRole('dialog', { name: 'Create tenant' }).getByRole('button', { name: 'Create' }).click();
      const firstKey = page.getByLabel('First API key');
      await expect.poll(() => firstKey.textContent()).toMatch(/^hrld_/);
      const shortLivedKey = (await firstKey.textContent())!;
      expect((await api.call('GET', '/api/v1/app', { token: shortLivedKey })).status).toBe(200);
      await page.getByRole('button', { name: 'Delete Short-lived' }).click();
      await page.getByRole('dialog', { name: 'Delete tenant “Short-lived”?' }).getByRole('button', { name: 'Delete tenant' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Delete Short-lived' }).count()).toBe(0);
      expect((await api.call('GET', '/api/v1/app', { token: shortLivedKey })).status).toBe(401);

      await page.getByRole('link', { name: 'Health and queues' }).click();
      await expect.poll(() => page.getByText('Healthy', { exact: true }).isVisible()).toBe(true);
      // The endpoint answering 500 has failed since its first attempt: it is listed, with its URL.
      await expect.poll(() => page.getByRole('region', { name: 'Failing endpoints' }).getByText(failEndpoint.url).first().isVisible()).toBe(true);
      expect(await page.getByRole('region', { name: 'Failing endpoints' }).getByText(okEndpoint.url).count()).toBe(0);
      await expect.poll(() => page.getByRole('region', { name: 'Queue depth' }).textContent()).toContain('Due now');
      await expectAxeClean(tracked, 'console overview');
      await shot(page, 'console-overview');
      expectNoProblems(tracked, 'console operator');
      await page.close();
    });
  });
});
