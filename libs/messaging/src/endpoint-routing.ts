/** What ingest needs to know about an endpoint to route a message to it. */
export interface RoutableEndpoint {
  id: string;
  disabled: boolean;
  /** Empty = every event type. */
  filterTypes: string[];
  /** Empty = every message, whatever its channels. */
  channels: string[];
}

export type NewDeliveryStatus = 'pending' | 'skipped';

export interface Route {
  endpointId: string;
  status: NewDeliveryStatus;
}

/**
 * Svix's routing rules. Event types: an endpoint with a filter receives only those types.
 * Channels: an endpoint without channels receives every message (with or without channels);
 * an endpoint with channels receives only messages that share at least one of them, so a
 * message without channels does not reach it. A disabled endpoint that matches still gets a
 * delivery row, 'skipped' (visible and replayable, never enqueued).
 */
export function routeMessage(endpoints: readonly RoutableEndpoint[], eventType: string, channels: readonly string[]): Route[] {
  const messageChannels = new Set(channels);
  const routes: Route[] = [];
  for (const endpoint of endpoints) {
    if (endpoint.filterTypes.length > 0 && !endpoint.filterTypes.includes(eventType)) continue;
    if (endpoint.channels.length > 0 && !endpoint.channels.some((c) => messageChannels.has(c))) continue;
    routes.push({ endpointId: endpoint.id, status: endpoint.disabled ? 'skipped' : 'pending' });
  }
  return routes;
}
