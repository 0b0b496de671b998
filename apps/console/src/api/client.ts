import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError } from './errors';

export type { paths, components } from './schema';
export type HeraldClient = Client<paths>;

/**
 * The one way the UI talks to Herald: a client generated from Herald's own OpenAPI document.
 * The bearer goes in the Authorization header only — never in a URL.
 */
export function createHeraldClient(token: string, baseUrl: string = window.location.origin): HeraldClient {
  const client = createClient<paths>({ baseUrl });
  client.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });
  return client;
}

/** What every openapi-fetch call resolves to. */
interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful call, or an ApiError that says in words what went wrong. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    throw ApiError.network(err);
  }
  if (!result.response.ok) throw ApiError.fromResponse(result.response.status, result.error);
  return result.data as T;
}
