import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** The two single-page apps in the web UI build and the paths they answer. */
const PAGES = [
  { prefix: '/console', html: 'console.html', frameAncestors: "'none'" },
  // The portal is made to be embedded by tenants. Framing it grants nothing: it has no ambient
  // credentials (no cookies), only the token that the framing page itself put in the URL.
  { prefix: '/app-portal', html: 'app-portal.html', frameAncestors: '*' },
] as const;

/** Built assets are served under the console's prefix (Vite `base`), for both pages. */
const ASSETS_PREFIX = '/console/assets/';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** No inline script or style, nothing from another origin: only this server's files and API. */
export function contentSecurityPolicy(frameAncestors: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

interface Asset {
  body: Buffer;
  type: string;
}

/** Reads the build once at boot: a few hashed, immutable files. */
function loadBuild(dir: string): { html: Map<string, Buffer>; assets: Map<string, Asset> } | undefined {
  if (!PAGES.every((p) => existsSync(join(dir, p.html)))) return undefined;
  const html = new Map(PAGES.map((p) => [p.html, readFileSync(join(dir, p.html))]));
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const type = CONTENT_TYPES[extname(name)];
      if (type) assets.set(`${ASSETS_PREFIX}${name}`, { body: readFileSync(join(assetDir, name)), type });
    }
  }
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const type = CONTENT_TYPES[extname(name)];
    if (type && extname(name) !== '.json') assets.set(`/console/${name}`, { body: readFileSync(join(dir, name)), type });
  }
  return { html, assets };
}

/**
 * Serves the web UI from `dir` (the Vite build): the console at /console and the app portal at
 * /app-portal, each with a single-page fallback to its HTML, under a strict CSP.
 */
export function registerWebUi(fastify: FastifyInstance, dir: string, log: Logger): void {
  const build = loadBuild(dir);
  if (!build) log.warn({ dir }, 'web UI not built: /console and /app-portal answer 503 (run npm run build)');

  for (const page of PAGES) {
    const csp = contentSecurityPolicy(page.frameAncestors);
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      void reply
        .header('content-security-policy', csp)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin');
      if (!build) {
        await reply.status(503).send({ code: 'web_ui_not_built', detail: 'The web UI has not been built: run npm run build' });
        return;
      }
      const path = request.url.split('?')[0] ?? '';
      if (path.startsWith(ASSETS_PREFIX) || (page.prefix === '/console' && /^\/console\/[^/]+\.[a-z0-9]+$/.test(path))) {
        const asset = build.assets.get(path);
        if (!asset) {
          await reply.status(404).send({ code: 'not_found', detail: 'No such file' });
          return;
        }
        await reply.header('content-type', asset.type).header('cache-control', path.startsWith(ASSETS_PREFIX) ? 'public, max-age=31536000, immutable' : 'no-cache').send(asset.body);
        return;
      }
      await reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(build.html.get(page.html));
    };
    fastify.get(page.prefix, handler);
    fastify.get(`${page.prefix}/*`, handler);
  }
}
