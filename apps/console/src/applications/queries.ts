import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import { PAGE_SIZE } from '../api/types';
import { useHerald } from '../app/herald-context';

export function useApplications(iterator: string | undefined) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['apps', 'list', iterator ?? ''],
    queryFn: () => unwrap(client.GET('/api/v1/app', { params: { query: { limit: PAGE_SIZE, iterator, order: 'descending' } } })),
    placeholderData: keepPreviousData,
  });
}

export function useApplication(appId: string) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['app', appId],
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}', { params: { path: { app_id: appId } } })),
  });
}

/** Exact lookup by id or uid (the API has no name search): null when there is none. */
export function useApplicationLookup(term: string) {
  const { client } = useHerald();
  const trimmed = term.trim();
  return useQuery({
    queryKey: ['app', 'lookup', trimmed],
    queryFn: async () => {
      try {
        return await unwrap(client.GET('/api/v1/app/{app_id}', { params: { path: { app_id: trimmed } } }));
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return null;
        throw err;
      }
    },
    enabled: /^[A-Za-z0-9\-_.]{1,256}$/.test(trimmed),
  });
}

export function useCreateApplication() {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; uid: string | null }) => unwrap(client.POST('/api/v1/app', { body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['apps'] }),
  });
}

/** A portal link for the application's customer (a full or read-only token). */
export function usePortalAccess(appId: string) {
  const { client } = useHerald();
  return useMutation({
    mutationFn: (readOnly: boolean) => unwrap(client.POST('/api/v1/auth/app-portal-access/{app_id}', { params: { path: { app_id: appId } }, body: { readOnly } })),
  });
}
