/**
 * The adapters' structural types must accept the real frameworks' objects. fastify (via
 * @nestjs/platform-fastify) and @types/express (a dev dependency) are in the workspace's
 * node_modules; the SDK itself depends on neither.
 */
import type { RequestHandler } from 'express';
import type { FastifyInstance } from 'fastify';
import http from 'node:http';
import { addRawJsonBodyParser, readRawBody, verifyWebhook, webhookMiddleware } from '../webhooks.js';

declare const fastify: FastifyInstance;
addRawJsonBodyParser(fastify);

const middleware: RequestHandler = webhookMiddleware({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
void middleware;

http.createServer(async (req, res) => {
  const rawBody = await readRawBody(req);
  const payload = verifyWebhook<{ id: string }>({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers: req.headers, rawBody });
  res.end(payload.id);
});

// @ts-expect-error secrets are strings
webhookMiddleware({ secret: 42 });
