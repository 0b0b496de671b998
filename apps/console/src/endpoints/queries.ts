import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE } from '../api/types';
import { useHerald } from '../app/herald-context';
import { dayWindows } from './endpoint-status';

export const endpointKeys = {
  all: (appId: string) => ['endpoints', appId] as const,
  list: (appId: string, iterator: string | undefined) => ['endpoints', appId, 'list', iterator ?? ''] as const,
  one: (appId: string, endpointId: string) => ['endpoints', appId, 'one', endpointId] as const,
  stats: (appId: string, endpointId: string) => ['endpoints', appId, 'stats', endpointId] as const,
  series: (appId: string, endpointId: string) => ['endpoints', appId, 'series', endpointId] as const,
  headers: (appId: string, endpointId: string) => ['endpoints', appId, 'headers', endpointId] as const,
  secret: (appId: string, endpointId: string) => ['endpoints', appId, 'secret', endpointId] as const,
  attempts: (appId: string, endpointId: string, iterator: string | undefined, status: string) => ['attempts', appId, 'endpoint', endpointId, iterator ?? '', status] as const,
};

export function useEndpoints(appId: string, iterator: string | undefined) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.list(appId, iterator),
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/endpoint', { params: { path: { app_id: appId }, query: { limit: PAGE_SIZE, iterator } } })),
    placeholderData: keepPreviousData,
  });
}

export function useEndpoint(appId: string, endpointId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.one(appId, endpointId),
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}', { params: { path: { app_id: appId, endpoint_id: endpointId } } })),
  });
}

export function useEndpointStats(appId: string, endpointId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.stats(appId, endpointId),
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats', { params: { path: { app_id: appId, endpoint_id: endpointId } } })),
  });
}

/** Delivery counts per day over the last `days` days (one stats call per day). */
export function useEndpointStatsSeries(appId: string, endpointId: string, days = 7) {
  const { client } = useHerald();
  return useQuery({
    queryKey: [...endpointKeys.series(appId, endpointId), days],
    queryFn: () =>
      Promise.all(
        dayWindows(new Date(), days).map(async (w) => ({
          label: w.label,
          stats: await unwrap(
            client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats', {
              params: { path: { app_id: appId, endpoint_id: endpointId }, query: { since: w.since, until: w.until } },
            }),
          ),
        })),
      ),
  });
}

export function useEndpointHeaders(appId: string, endpointId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.headers(appId, endpointId),
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers', { params: { path: { app_id: appId, endpoint_id: endpointId } } })),
  });
}

/** The signing secret, fetched only once the person asks to see it (each reveal is audited). */
export function useEndpointSecret(appId: string, endpointId: string, revealed: boolean) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.secret(appId, endpointId),
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret', { params: { path: { app_id: appId, endpoint_id: endpointId } } })),
    enabled: revealed,
    staleTime: 0,
    gcTime: 0,
  });
}

export function useEndpointAttempts(appId: string, endpointId: string, iterator: string | undefined, status: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: endpointKeys.attempts(appId, endpointId, iterator, status),
    queryFn: () =>
      unwrap(
        client.GET('/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}', {
          params: {
            path: { app_id: appId, endpoint_id: endpointId },
            query: { limit: PAGE_SIZE, iterator, with_msg: 'true', with_content: 'true', status: status === '' ? undefined : (status as '0' | '1' | '2' | '3' | '4') },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export interface EndpointInput {
  url: string;
  description: string;
  eventTypes: string[] | null;
  channels: string[] | null;
  rateLimit: number | null;
}

export function useCreateEndpoint(appId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: EndpointInput) => unwrap(client.POST('/api/v1/app/{app_id}/endpoint', { params: { path: { app_id: appId } }, body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointKeys.all(appId) }),
  });
}

export function useUpdateEndpoint(appId: string, endpointId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: Partial<EndpointInput> & { disabled?: boolean }) =>
      unwrap(client.PATCH('/api/v1/app/{app_id}/endpoint/{endpoint_id}', { params: { path: { app_id: appId, endpoint_id: endpointId } }, body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointKeys.all(appId) }),
  });
}

export function useDeleteEndpoint(appId: string, endpointId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/v1/app/{app_id}/endpoint/{endpoint_id}', { params: { path: { app_id: appId, endpoint_id: endpointId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointKeys.all(appId) }),
  });
}

export function useRotateSecret(appId: string, endpointId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.POST('/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate', { params: { path: { app_id: appId, endpoint_id: endpointId } }, body: {} })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointKeys.secret(appId, endpointId) }),
  });
}

export function useSaveHeaders(appId: string, endpointId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (headers: Record<string, string>) =>
      unwrap(client.PUT('/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers', { params: { path: { app_id: appId, endpoint_id: endpointId } }, body: { headers } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointKeys.headers(appId, endpointId) }),
  });
}

export function useRecover(appId: string, endpointId: string) {
  const { client } = useHerald();
  return useMutation({
    mutationFn: (since: string) => unwrap(client.POST('/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover', { params: { path: { app_id: appId, endpoint_id: endpointId } }, body: { since } })),
  });
}

export function useSendExample(appId: string, endpointId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (eventType: string) =>
      unwrap(client.POST('/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example', { params: { path: { app_id: appId, endpoint_id: endpointId } }, body: { eventType } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['attempts', appId] }),
  });
}

export function useResend(appId: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ msgId, endpointId }: { msgId: string; endpointId: string }) =>
      unwrap(client.POST('/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend', { params: { path: { app_id: appId, msg_id: msgId, endpoint_id: endpointId } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['attempts', appId] });
      void queryClient.invalidateQueries({ queryKey: ['messages', appId] });
    },
  });
}
