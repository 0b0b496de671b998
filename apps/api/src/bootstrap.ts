import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { answerFrameworkError, DEPENDENCY_RETRY_AFTER_SECONDS, drainLimitBytes, errorResponse, installBodyLimit, installIdempotency, installJsonBodyParser, MAX_PATH_PARAM_LENGTH, sendErrorResponse, type AuthenticatedRequest } from '@herald/api-core';
import { ServiceUnavailableError } from '@herald/tenancy';
import type { HeraldConfig } from '@herald/config';
import { activeTracing, annotateActiveSpan, createLogger, nameRequestSpan, PinoNestLogger, SpanAttr, tracedServerFactory } from '@herald/observability';
import type { DestinationStream } from 'pino';
import { ApiModule } from './app.module';
import { registerWebUi } from './web-ui';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CreateApiAppOptions {
  /** Where logs go (stdout when unset); tests read them. */
  logDestination?: DestinationStream;
}

/** Builds the API application (used by main.ts and by the tests, which listen on port 0). */
export async function createApiApp(config: HeraldConfig, options: CreateApiAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger('api', config.log.level, options.logDestination);
  const traced = activeTracing() !== null;
  const adapter = new FastifyAdapter({
    // With traces on, each request runs in its own SERVER span (main.ts started the SDK).
    ...(traced ? { serverFactory: tracedServerFactory } : {}),
    loggerInstance: logger,
    // Fastify reads up to the drain limit; installBodyLimit refuses anything over maxPayloadBytes
    // with a 413 that the client can read (it drains the rest of the body first).
    bodyLimit: drainLimitBytes(config.api.maxPayloadBytes),
    // Forwarding headers are believed only from these proxies; otherwise req.ip is the socket.
    trustProxy: config.api.trustProxy.length > 0 ? config.api.trustProxy : false,
    // genReqId reads x-request-id itself so a client's id is used only when it is well-formed.
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    // Requests that arrive while the server stops get a 503 in the API's shape (below), not Fastify's.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Malformed URLs and over-long path parameters, in the API's error shape.
    frameworkErrors: answerFrameworkError,
  });
  // Herald's own JSON-only parser (UTF-8, depth, size) replaces Nest's and Fastify's.
  installJsonBodyParser(adapter.getInstance(), { maxInFlightBytes: config.api.maxInFlightBodyBytes, waitMs: config.api.bodyWaitMs });
  installBodyLimit(adapter.getInstance(), config.api.maxPayloadBytes);
  // Responses to requests with an Idempotency-Key are kept as they are sent (IdempotencyGuard).
  installIdempotency(adapter.getInstance());
  // Stopping: a request already running when the stop began is answered, then its keep-alive
  // connection closes. Without this, close() waited for those connections' keep-alive timeout,
  // past the shutdown deadline (exit 1 after 30 s on every stop under traffic).
  let closing = false;
  adapter.getInstance().addHook('preClose', (done) => {
    closing = true;
    done();
  });
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    const stopping = new ServiceUnavailableError(`The server is stopping, retry later (request ${request.id})`, 'service_unavailable', DEPENDENCY_RETRY_AFTER_SECONDS);
    sendErrorResponse(request, reply, errorResponse(stopping, request.id));
  });
  // Every response names its request id, so a client can quote it and operators find the logs.
  adapter.getInstance().addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  if (traced) {
    adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
      nameRequestSpan(request.method, request.routeOptions.url);
      done();
    });
    // Authenticated by now (or refused): the request span names its tenant, nothing of the key.
    adapter.getInstance().addHook('onSend', (request, _reply, payload, done) => {
      const principal = (request as AuthenticatedRequest).user;
      if (principal && principal.kind !== 'operator') annotateActiveSpan({ [SpanAttr.tenantId]: principal.tenantId });
      done(null, payload);
    });
  }
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    bodyParser: false,
  });
  // The console and the app portal: static files of the web UI build, beside the API.
  registerWebUi(adapter.getInstance(), config.api.webUiDir, logger);
  app.enableShutdownHooks();
  await app.init();
  return app;
}
