import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

/**
 * The API serves the web UI build: the console at /console and the app portal at /app-portal,
 * each falling back to its HTML for client-side routes, under a strict CSP. A small build in
 * a temporary folder stands in for Vite's output here (the browser tests use the real one).
 */
describe('web UI hosting', () => {
  let api: TestApi;
  let missing: TestApi;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-ui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'console.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/console-abc.js"></script>');
    writeFileSync(join(dir, 'app-portal.html'), '<!doctype html><title>portal</title>');
    writeFileSync(join(dir, 'assets', 'console-abc.js'), 'console.log("hi")');
    writeFileSync(join(dir, 'assets', 'style-abc.css'), 'body{}');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    api = await startTestApi({ HERALD_WEB_UI_DIR: dir });
    missing = await startTestApi({ HERALD_WEB_UI_DIR: join(dir, 'nothing-here') });
  });
  afterAll(async () => {
    await api?.close();
    await missing?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console and its client-side routes with a strict CSP that forbids framing', async () => {
    for (const path of ['/console', '/console/', '/console/applications/app_123/endpoints', '/console/sign-in?next=x']) {
      const res = await api.call('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).toContain('<title>console</title>');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves the app portal (embeddable) at the path app-portal-access returns', async () => {
    const tenant = await api.createTenant('web ui');
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'portal app' } });
    const access = await api.call<{ url: string; token: string }>('POST', `/api/v1/auth/app-portal-access/${app.body.id}`, { token: tenant.apiKey, body: {} });
    const url = new URL(access.body.url);
    expect(url.search).toBe('');
    expect(url.hash).toBe(`#token=${encodeURIComponent(access.body.token)}`);
    // The fragment never reaches a server: the browser asks for the path alone.
    const res = await api.call('GET', url.pathname);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>portal</title>');
    expect(String(res.headers['content-security-policy'])).toContain('frame-ancestors *');
    expect((await api.call('GET', '/app-portal/endpoints/ep_1')).text).toContain('<title>portal</title>');
  });

  it('serves built assets with their type and long caching, and 404s unknown ones', async () => {
    const js = await api.call('GET', '/console/assets/console-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect((await api.call('GET', '/console/assets/style-abc.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await api.call('GET', '/console/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    for (const path of ['/console/assets/nope.js', '/console/assets/../console.html', '/console/assets/%2e%2e/console.html']) {
      expect((await api.call('GET', path)).status, path).toBe(404);
    }
  });

  it('answers 503 with a reason when the UI has not been built', async () => {
    const res = await missing.call<{ code: string }>('GET', '/console');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('web_ui_not_built');
  });
});
