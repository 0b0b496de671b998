import { Agent, type Dispatcher } from 'undici';
import { mapWithConcurrency } from './batch.js';
import { HeraldError, HeraldValidationError } from './errors.js';
import { checkLimit, paginate } from './pagination.js';
import type { BackoffOptions } from './retry.js';
import { validatePayload, type PayloadSchema } from './schema.js';
import { Transport, type QueryValue } from './transport.js';
import type {
  AppPortalAccessIn,
  AppPortalAccessOut,
  ApplicationIn,
  ApplicationOut,
  ApplicationPatch,
  EndpointIn,
  EndpointOut,
  EndpointPatch,
  EndpointSecretOut,
  EndpointSecretRotateIn,
  EndpointUpdate,
  JsonObject,
  ListApplicationsOptions,
  ListAttemptsByMessageOptions,
  ListAttemptsOptions,
  ListEndpointsOptions,
  ListMessagesOptions,
  ListResponse,
  MessageAttemptOut,
  MessageOut,
  RecoverIn,
  RecoverOut,
} from './types.js';

export const SDK_VERSION = '0.1.0';

// ---------------------------------------------------------------- event catalog typing

/**
 * An event catalog maps event type names to payload types, e.g.
 * `{ 'invoice.paid': { id: string; amountCents: number } }`. Written as a self-referencing
 * mapped type so both `type` aliases and `interface`s are accepted (interfaces have no index
 * signature, so `Record<string, object>` would reject them).
 */
export type EventCatalog<C> = { [K in keyof C]: object };

/** The catalog used when none is given: any event name, any JSON object payload. */
export type UntypedCatalog = Record<string, JsonObject>;

export type EventName<C> = keyof C & string;

/** Per-event runtime schemas; when one is present, payloads of that event are validated before sending. */
export type CatalogSchemas<C> = { [E in keyof C]?: PayloadSchema<C[E]> };

export interface HeraldOptions<C extends EventCatalog<C> = UntypedCatalog> {
  /** Tenant API key, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** e.g. `https://herald.example.com` (a path prefix is kept); the SDK appends `/api/v1/...`. */
  baseUrl: string;
  /** Timeout of one HTTP attempt, body included. Default 30 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt, for network errors, timeouts, 429 and 5xx. Default 3 (4 attempts). 0 disables. */
  retries?: number;
  /** Overall budget of one call, retries and waits included. Default 60 000 ms. */
  deadlineMs?: number;
  backoff?: BackoffOptions;
  /** An undici dispatcher (Agent, ProxyAgent, MockAgent…). Default: a keep-alive Agent owned by this client. */
  fetchDispatcher?: Dispatcher;
  schemas?: CatalogSchemas<C>;
}

export interface SendOptions {
  /** Producer-side unique id; the API rejects a second message with the same one (409). */
  eventId?: string;
  channels?: string[];
  /** Reused on every retry; generated when absent. Pass your own to make retries across process restarts safe. */
  idempotencyKey?: string;
  /** Days the payload is kept (the API allows 5–90). */
  payloadRetentionPeriod?: number;
  /** `false` asks the API not to echo the payload back; the returned `payload` is then empty. */
  withContent?: boolean;
}

/** One item of `sendMany`: the event type picks the payload type. */
export type SendItem<C extends EventCatalog<C>> = {
  [E in EventName<C>]: { eventType: E; payload: C[E] } & SendOptions;
}[EventName<C>];

export type SendResult<P extends object = JsonObject> = { ok: true; message: MessageOut<P> } | { ok: false; error: HeraldError };

export interface SendManyOptions {
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
}

export interface IdempotencyOptions {
  idempotencyKey?: string;
}

// ---------------------------------------------------------------- client

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_DEADLINE_MS = 60_000;
const DEFAULT_CONCURRENCY = 8;

/**
 * Herald API client.
 *
 * ```ts
 * const herald = new Herald<{ 'invoice.paid': { id: string; amountCents: number } }>({ apiKey, baseUrl });
 * await herald.messages.send('app_123', 'invoice.paid', { id: 'in_1', amountCents: 500 });
 * ```
 */
export class Herald<C extends EventCatalog<C> = UntypedCatalog> {
  readonly applications: Applications;
  readonly endpoints: Endpoints;
  readonly messages: Messages<C>;
  readonly attempts: MessageAttempts;
  readonly authentication: Authentication;
  private readonly transport: Transport;
  /** Only a dispatcher this client created is closed by `close()`; a caller's one is theirs. */
  private readonly ownedAgent: Agent | undefined;

  constructor(options: HeraldOptions<C>) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new TypeError('apiKey is required');
    if (typeof options.baseUrl !== 'string' || options.baseUrl === '') throw new TypeError('baseUrl is required');
    const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const deadlineMs = positive('deadlineMs', options.deadlineMs ?? DEFAULT_DEADLINE_MS);
    const retries = options.retries ?? DEFAULT_RETRIES;
    if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${retries}`);
    const dispatcher = options.fetchDispatcher ?? (this.ownedAgent = new Agent({ keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 }));
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      timeoutMs,
      retries,
      deadlineMs,
      backoff: options.backoff ?? {},
      dispatcher,
      userAgent: `herald-sdk-node/${SDK_VERSION}`,
    });
    this.applications = new Applications(this.transport);
    this.endpoints = new Endpoints(this.transport);
    this.messages = new Messages<C>(this.transport, options.schemas ?? {});
    this.attempts = new MessageAttempts(this.transport);
    this.authentication = new Authentication(this.transport);
  }

  /** `GET /api/v1/health`; resolves when the API answers 2xx, throws otherwise. */
  async health(): Promise<void> {
    await this.transport.send<unknown>({ method: 'GET', path: '/api/v1/health' });
  }

  /** Closes the keep-alive connections this client opened (not a caller-supplied dispatcher). */
  async close(): Promise<void> {
    await this.ownedAgent?.close();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

const seg = encodeURIComponent;

function toJson(value: unknown): string {
  return JSON.stringify(value);
}

function iso(value: Date | string | null | undefined): string | null | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

// ---------------------------------------------------------------- resources

export class Applications {
  constructor(private readonly t: Transport) {}

  async create(app: ApplicationIn, options: IdempotencyOptions = {}): Promise<ApplicationOut> {
    return this.t.send({ method: 'POST', path: '/api/v1/app', json: toJson(app), ...idem(options) });
  }

  /** Returns the application with `app.uid` if it exists, otherwise creates it. */
  async getOrCreate(app: ApplicationIn, options: IdempotencyOptions = {}): Promise<ApplicationOut> {
    return this.t.send({ method: 'POST', path: '/api/v1/app', query: { get_if_exists: true }, json: toJson(app), ...idem(options) });
  }

  async get(appId: string): Promise<ApplicationOut> {
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}` });
  }

  async list(options: ListApplicationsOptions = {}): Promise<ListResponse<ApplicationOut>> {
    checkLimit(options.limit);
    return this.t.send({ method: 'GET', path: '/api/v1/app', query: { limit: options.limit, iterator: options.iterator, order: options.order } });
  }

  listAll(options: ListApplicationsOptions = {}): AsyncGenerator<ApplicationOut, void, undefined> {
    return paginate((iterator) => this.list({ ...options, iterator }), options.iterator, '/api/v1/app');
  }

  async update(appId: string, app: ApplicationIn): Promise<ApplicationOut> {
    return this.t.send({ method: 'PUT', path: `/api/v1/app/${seg(appId)}`, json: toJson(app) });
  }

  async patch(appId: string, patch: ApplicationPatch): Promise<ApplicationOut> {
    return this.t.send({ method: 'PATCH', path: `/api/v1/app/${seg(appId)}`, json: toJson(patch) });
  }

  async delete(appId: string): Promise<void> {
    await this.t.send<unknown>({ method: 'DELETE', path: `/api/v1/app/${seg(appId)}` });
  }
}

export class Endpoints {
  constructor(private readonly t: Transport) {}

  async create(appId: string, endpoint: EndpointIn, options: IdempotencyOptions = {}): Promise<EndpointOut> {
    return this.t.send({ method: 'POST', path: `/api/v1/app/${seg(appId)}/endpoint`, json: toJson(endpoint), ...idem(options) });
  }

  async get(appId: string, endpointId: string): Promise<EndpointOut> {
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}` });
  }

  async list(appId: string, options: ListEndpointsOptions = {}): Promise<ListResponse<EndpointOut>> {
    checkLimit(options.limit);
    return this.t.send({
      method: 'GET',
      path: `/api/v1/app/${seg(appId)}/endpoint`,
      query: { limit: options.limit, iterator: options.iterator, order: options.order },
    });
  }

  listAll(appId: string, options: ListEndpointsOptions = {}): AsyncGenerator<EndpointOut, void, undefined> {
    return paginate((iterator) => this.list(appId, { ...options, iterator }), options.iterator, `/api/v1/app/${seg(appId)}/endpoint`);
  }

  async update(appId: string, endpointId: string, endpoint: EndpointUpdate): Promise<EndpointOut> {
    return this.t.send({ method: 'PUT', path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}`, json: toJson(endpoint) });
  }

  async patch(appId: string, endpointId: string, patch: EndpointPatch): Promise<EndpointOut> {
    return this.t.send({ method: 'PATCH', path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}`, json: toJson(patch) });
  }

  async delete(appId: string, endpointId: string): Promise<void> {
    await this.t.send<unknown>({ method: 'DELETE', path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}` });
  }

  /** The endpoint's current signing secret (`whsec_…`). */
  async getSecret(appId: string, endpointId: string): Promise<EndpointSecretOut> {
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}/secret` });
  }

  async rotateSecret(appId: string, endpointId: string, body: EndpointSecretRotateIn = {}, options: IdempotencyOptions = {}): Promise<void> {
    await this.t.send<unknown>({
      method: 'POST',
      path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}/secret/rotate`,
      json: toJson(body),
      ...idem(options),
    });
  }

  /** Re-sends every failed message since `since` (and until `until`) to this endpoint. */
  async recover(appId: string, endpointId: string, body: RecoverIn, options: IdempotencyOptions = {}): Promise<RecoverOut> {
    return this.t.send({
      method: 'POST',
      path: `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}/recover`,
      json: toJson({ since: iso(body.since), until: iso(body.until) }),
      ...idem(options),
    });
  }
}

export class Messages<C extends EventCatalog<C>> {
  constructor(
    private readonly t: Transport,
    private readonly schemas: CatalogSchemas<C>,
  ) {}

  /**
   * Sends one event. The event name must be in the catalog and the payload must match its
   * type (checked at compile time; at run time too when a schema was given for it).
   * Retries are safe: every attempt carries the same `Idempotency-Key`.
   */
  async send<E extends EventName<C>>(appId: string, eventType: E, payload: C[E], options: SendOptions = {}): Promise<MessageOut<C[E], E>> {
    // Own properties only: an event named like an Object.prototype member must not find a "schema".
    const schema = Object.hasOwn(this.schemas, eventType) ? this.schemas[eventType] : undefined;
    const body = schema === undefined ? payload : validatePayload(eventType, schema as PayloadSchema<C[E]>, payload);
    let json: string;
    try {
      json = toJson({
        eventType,
        payload: body,
        eventId: options.eventId,
        channels: options.channels,
        payloadRetentionPeriod: options.payloadRetentionPeriod,
      });
    } catch (cause) {
      // BigInt or a cycle: a caller bug, reported like any other invalid payload and before any request.
      throw new HeraldValidationError(eventType, [{ path: '', message: `payload is not JSON-serialisable: ${cause instanceof Error ? cause.message : String(cause)}` }], { cause });
    }
    return this.t.send({
      method: 'POST',
      path: `/api/v1/app/${seg(appId)}/msg`,
      query: { with_content: options.withContent },
      json,
      ...idem(options),
    });
  }

  /**
   * Sends many events with bounded concurrency. Never rejects because of one item: each result
   * is `{ok: true, message}` or `{ok: false, error}`, in input order.
   */
  async sendMany(appId: string, items: readonly SendItem<C>[], options: SendManyOptions = {}): Promise<SendResult[]> {
    return mapWithConcurrency(items, options.concurrency ?? DEFAULT_CONCURRENCY, async (item): Promise<SendResult> => {
      const { eventType, payload, ...sendOptions } = item;
      try {
        const message = await this.send(appId, eventType, payload as C[typeof eventType], sendOptions);
        return { ok: true, message: message as MessageOut };
      } catch (error) {
        // Only the SDK's own failures become results; anything else is a bug and propagates.
        if (error instanceof HeraldError) return { ok: false, error };
        throw error;
      }
    });
  }

  async get(appId: string, msgId: string, options: { withContent?: boolean } = {}): Promise<MessageOut> {
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}/msg/${seg(msgId)}`, query: { with_content: options.withContent } });
  }

  async list(appId: string, options: ListMessagesOptions = {}): Promise<ListResponse<MessageOut>> {
    checkLimit(options.limit);
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}/msg`, query: messageQuery(options) });
  }

  listAll(appId: string, options: ListMessagesOptions = {}): AsyncGenerator<MessageOut, void, undefined> {
    return paginate((iterator) => this.list(appId, { ...options, iterator }), options.iterator, `/api/v1/app/${seg(appId)}/msg`);
  }
}

export class MessageAttempts {
  constructor(private readonly t: Transport) {}

  async listByMessage(appId: string, msgId: string, options: ListAttemptsByMessageOptions = {}): Promise<ListResponse<MessageAttemptOut>> {
    checkLimit(options.limit);
    return this.t.send({
      method: 'GET',
      path: `/api/v1/app/${seg(appId)}/attempt/msg/${seg(msgId)}`,
      query: { ...attemptQuery(options), endpoint_id: options.endpointId },
    });
  }

  listAllByMessage(appId: string, msgId: string, options: ListAttemptsByMessageOptions = {}): AsyncGenerator<MessageAttemptOut, void, undefined> {
    return paginate((iterator) => this.listByMessage(appId, msgId, { ...options, iterator }), options.iterator, `/api/v1/app/${seg(appId)}/attempt/msg/${seg(msgId)}`);
  }

  async listByEndpoint(appId: string, endpointId: string, options: ListAttemptsOptions = {}): Promise<ListResponse<MessageAttemptOut>> {
    checkLimit(options.limit);
    return this.t.send({ method: 'GET', path: `/api/v1/app/${seg(appId)}/attempt/endpoint/${seg(endpointId)}`, query: attemptQuery(options) });
  }

  listAllByEndpoint(appId: string, endpointId: string, options: ListAttemptsOptions = {}): AsyncGenerator<MessageAttemptOut, void, undefined> {
    return paginate(
      (iterator) => this.listByEndpoint(appId, endpointId, { ...options, iterator }),
      options.iterator,
      `/api/v1/app/${seg(appId)}/attempt/endpoint/${seg(endpointId)}`,
    );
  }

  /** Delivers the message to the endpoint again (202, no body). */
  async resend(appId: string, msgId: string, endpointId: string, options: IdempotencyOptions = {}): Promise<void> {
    await this.t.send<unknown>({
      method: 'POST',
      path: `/api/v1/app/${seg(appId)}/msg/${seg(msgId)}/endpoint/${seg(endpointId)}/resend`,
      ...idem(options),
    });
  }
}

export class Authentication {
  constructor(private readonly t: Transport) {}

  /** A short-lived URL and token that give the application's owner access to the consumer portal. */
  async appPortalAccess(appId: string, body: AppPortalAccessIn = {}, options: IdempotencyOptions = {}): Promise<AppPortalAccessOut> {
    return this.t.send({ method: 'POST', path: `/api/v1/auth/app-portal-access/${seg(appId)}`, json: toJson(body), ...idem(options) });
  }
}

function idem(options: IdempotencyOptions): { idempotencyKey?: string } {
  return options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey };
}

function messageQuery(o: ListMessagesOptions): Record<string, QueryValue> {
  return {
    limit: o.limit,
    iterator: o.iterator,
    channel: o.channel,
    before: o.before,
    after: o.after,
    with_content: o.withContent,
    event_types: o.eventTypes,
  };
}

function attemptQuery(o: ListAttemptsOptions): Record<string, QueryValue> {
  return {
    limit: o.limit,
    iterator: o.iterator,
    status: o.status,
    status_code_class: o.statusCodeClass,
    channel: o.channel,
    before: o.before,
    after: o.after,
    with_content: o.withContent,
    event_types: o.eventTypes,
  };
}
