import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE } from '../api/types';
import { useHerald } from '../app/herald-context';

export const eventTypeKeys = {
  all: ['event-types'] as const,
  page: (iterator: string | undefined, archived: boolean) => ['event-types', 'page', iterator ?? '', archived] as const,
  choices: ['event-types', 'choices'] as const,
};

/** One page of the catalog, with schemas. */
export function useEventTypePage(iterator: string | undefined, includeArchived = false) {
  const { client } = useHerald();
  return useQuery({
    queryKey: eventTypeKeys.page(iterator, includeArchived),
    queryFn: () =>
      unwrap(client.GET('/api/v1/event-type', { params: { query: { limit: PAGE_SIZE, iterator, with_content: 'true', include_archived: includeArchived ? 'true' : 'false' } } })),
    placeholderData: keepPreviousData,
  });
}

/** Names for pickers (endpoint filters, send-example, message filters): the first 250. */
export function useEventTypeChoices() {
  const { client } = useHerald();
  return useQuery({
    queryKey: eventTypeKeys.choices,
    queryFn: async () => (await unwrap(client.GET('/api/v1/event-type', { params: { query: { limit: '250' } } }))).data,
    staleTime: 60_000,
  });
}

export interface EventTypeInput {
  name: string;
  description: string;
  schemas: Record<string, unknown> | null;
}

export function useCreateEventType() {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: EventTypeInput) => unwrap(client.POST('/api/v1/event-type', { body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: eventTypeKeys.all }),
  });
}

export function useUpdateEventType(name: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { description: string; schemas: Record<string, unknown> | null; archived?: boolean }) =>
      unwrap(client.PATCH('/api/v1/event-type/{event_type_name}', { params: { path: { event_type_name: name } }, body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: eventTypeKeys.all }),
  });
}

export function useArchiveEventType(name: string) {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/v1/event-type/{event_type_name}', { params: { path: { event_type_name: name } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: eventTypeKeys.all }),
  });
}
