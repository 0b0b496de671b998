import { describe, expect, it } from 'vitest';
import { routeMessage, type RoutableEndpoint } from './endpoint-routing';

const ep = (id: string, overrides: Partial<RoutableEndpoint> = {}): RoutableEndpoint => ({ id, disabled: false, filterTypes: [], channels: [], ...overrides });

describe('routeMessage', () => {
  const endpoints = [
    ep('all'),
    ep('types', { filterTypes: ['user.created', 'user.deleted'] }),
    ep('other-type', { filterTypes: ['invoice.paid'] }),
    ep('channels', { channels: ['a', 'b'] }),
    ep('other-channel', { channels: ['z'] }),
    ep('typed-channel', { filterTypes: ['user.created'], channels: ['b'] }),
    ep('disabled', { disabled: true }),
    ep('disabled-other', { disabled: true, filterTypes: ['invoice.paid'] }),
  ];

  it('applies event type filters and channel overlap; endpoints without channels get everything', () => {
    const routes = routeMessage(endpoints, 'user.created', ['b', 'c']);
    expect(routes).toEqual([
      { endpointId: 'all', status: 'pending' },
      { endpointId: 'types', status: 'pending' },
      { endpointId: 'channels', status: 'pending' },
      { endpointId: 'typed-channel', status: 'pending' },
      { endpointId: 'disabled', status: 'skipped' },
    ]);
  });

  it('does not route a message without channels to endpoints that filter by channel', () => {
    expect(routeMessage(endpoints, 'user.deleted', []).map((r) => r.endpointId)).toEqual(['all', 'types', 'disabled']);
  });

  it('routes nothing when there are no endpoints', () => {
    expect(routeMessage([], 'x', ['a'])).toEqual([]);
  });
});
