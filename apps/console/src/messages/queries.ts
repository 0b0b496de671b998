import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE } from '../api/types';
import { useHerald } from '../app/herald-context';
import { messageQuery, type MessageFilters } from './filters';

/**
 * The message log. With an endpoint chosen it lists that endpoint's messages (where the
 * delivery status lives); otherwise every message of the application.
 */
export function useMessages(appId: string, filters: MessageFilters, iterator: string | undefined) {
  const { client } = useHerald();
  const query = messageQuery(filters);
  return useQuery({
    queryKey: ['messages', appId, 'list', query, filters.endpointId, iterator ?? ''],
    queryFn: async () => {
      if (filters.endpointId) {
        const page = await unwrap(
          client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg', {
            params: { path: { app_id: appId, endpoint_id: filters.endpointId }, query: { ...query, limit: PAGE_SIZE, iterator } },
          }),
        );
        return { ...page, data: page.data.map((m) => ({ ...m, deliveryStatus: m.status as number | undefined })) };
      }
      // Status lives per destination: without an endpoint there is none to filter on.
      const rest = { ...query, status: undefined };
      const page = await unwrap(client.GET('/api/v1/app/{app_id}/msg', { params: { path: { app_id: appId }, query: { ...rest, limit: PAGE_SIZE, iterator } } }));
      return { ...page, data: page.data.map((m) => ({ ...m, deliveryStatus: undefined as number | undefined })) };
    },
    placeholderData: keepPreviousData,
  });
}

export function useMessage(appId: string, msgId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['messages', appId, 'one', msgId],
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/msg/{msg_id}', { params: { path: { app_id: appId, msg_id: msgId }, query: { with_content: 'true' } } })),
  });
}

/** Where a message went: each endpoint with its delivery status. */
export function useMessageDestinations(appId: string, msgId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['messages', appId, 'destinations', msgId],
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/msg/{msg_id}/endpoint', { params: { path: { app_id: appId, msg_id: msgId }, query: { limit: '250' } } })),
  });
}

export function useMessageAttempts(appId: string, msgId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['attempts', appId, 'msg', msgId],
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/attempt/msg/{msg_id}', { params: { path: { app_id: appId, msg_id: msgId }, query: { limit: '250' } } })),
  });
}

/** Endpoint choices for the filter (first 250). */
export function useEndpointChoices(appId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['endpoints', appId, 'choices'],
    queryFn: async () => (await unwrap(client.GET('/api/v1/app/{app_id}/endpoint', { params: { path: { app_id: appId }, query: { limit: '250' } } }))).data,
  });
}
