import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { NotFoundError, TenantKeysService, type TenantScope } from '@herald/tenancy';
import { DeliveryRepository, type EndpointRow } from './delivery.repository';
import { EXPIRED_PAYLOAD, EXPUNGED_RESPONSE } from './message.mappers';
import { MessageRepository, type AppRef, type MessageRow } from './message.repository';

/**
 * Resolves path ids (id or uid, message id or eventId) inside the caller's tenant and decrypts
 * what the routes return. Anything outside answers 404, exactly like something that does not
 * exist. (App-portal tokens arrive with `{app_id}` rewritten to their own application by
 * AccessGuard.)
 */
@Injectable()
export class MessagingLookupService {
  constructor(
    private readonly messages: MessageRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly keys: TenantKeysService,
  ) {}

  async app(ctx: RequestContext, appIdOrUid: string): Promise<AppRef> {
    const app = await this.messages.findApp(ctx.scope, appIdOrUid);
    if (!app) throw new NotFoundError('Application');
    return app;
  }

  async message(ctx: RequestContext, appId: string, idOrEventId: string): Promise<MessageRow> {
    const message = await this.messages.find(ctx.scope, appId, idOrEventId);
    if (!message) throw new NotFoundError('Message');
    return message;
  }

  async endpoint(ctx: RequestContext, appId: string, idOrUid: string): Promise<EndpointRow> {
    const endpoint = await this.deliveries.findEndpoint(ctx.scope, appId, idOrUid);
    if (!endpoint) throw new NotFoundError('Endpoint');
    return endpoint;
  }

  /** The payload as clients read it: `{}` without content, `{"expired": true}` once erased. */
  async payload(scope: TenantScope, payloadEnc: Uint8Array | null, withContent: boolean): Promise<unknown> {
    if (!withContent) return {};
    if (!payloadEnc) return { ...EXPIRED_PAYLOAD };
    return readPayloadText(await this.keys.decryptString(scope, payloadEnc));
  }

  /** An attempt's response body: '' without content, "EXPUNGED" once erased. */
  async response(scope: TenantScope, attempt: { responseEnc: Uint8Array | null; responseExpunged: boolean }, withContent: boolean): Promise<string> {
    if (!withContent) return '';
    if (attempt.responseExpunged) return EXPUNGED_RESPONSE;
    // An empty response body is not sealed (stored as NULL).
    if (!attempt.responseEnc) return '';
    return this.keys.decryptString(scope, attempt.responseEnc);
  }
}

/**
 * A stored payload as the API returns it: JSON as its value (Svix returns a raw JSON payload
 * as sent, unnormalised values included); a raw payload that is not JSON as one string.
 */
export function readPayloadText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // Only raw payloads can fail here; their text is the payload itself.
    if (err instanceof SyntaxError) return text;
    throw err;
  }
}
