import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { createHeraldClient, unwrap, type HeraldClient } from '../api/client';
import { abilitiesOf, type Abilities, type Session } from '../auth/abilities';
import { ErrorMessage, Loading } from '../ui/states';

export interface Herald {
  client: HeraldClient;
  session: Session;
  abilities: Abilities;
}

const HeraldContext = createContext<Herald | null>(null);

/** Provides a signed-in context directly (component tests). */
export const HeraldProvider = HeraldContext.Provider;

export function useHerald(): Herald {
  const value = useContext(HeraldContext);
  if (!value) throw new Error('useHerald outside a signed-in view');
  return value;
}

/**
 * Asks the API who `token` is (GET /auth/session) and renders `children` only for a token it
 * accepts; otherwise `rejected` (an invalid or expired token shows no data at all).
 */
export function SessionGate({ token, children, rejected }: { token: string; children: ReactNode; rejected: (error: unknown) => ReactNode }) {
  const client = useMemo(() => createHeraldClient(token), [token]);
  const session = useQuery({
    queryKey: ['session', token],
    queryFn: () => unwrap(client.GET('/api/v1/auth/session')),
    retry: false,
    staleTime: 60_000,
  });
  const value = useMemo(() => (session.data ? { client, session: session.data, abilities: abilitiesOf(session.data) } : null), [client, session.data]);
  if (session.isPending) return <Loading what="Checking access" />;
  if (session.isError) return <>{rejected(session.error)}</>;
  if (!value) return <ErrorMessage error="The session could not be read" />;
  return <HeraldContext.Provider value={value}>{children}</HeraldContext.Provider>;
}
