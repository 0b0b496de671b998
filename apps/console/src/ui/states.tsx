import type { ReactNode } from 'react';
import type { UseQueryResult } from '@tanstack/react-query';
import { errorText } from '../api/errors';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="state" role="status">
      {what}…
    </p>
  );
}

export function ErrorMessage({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  return (
    <div className="error" role="alert">
      <strong>{title}.</strong> {errorText(error)}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** Loading, error or the data: every view that reads shows all three. */
export function QueryView<T>({ query, what, children }: { query: UseQueryResult<T>; what?: string; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading what={what ? `Loading ${what}` : undefined} />;
  if (query.isError) return <ErrorMessage error={query.error} title={what ? `Could not load ${what}` : undefined} />;
  return <>{children(query.data)}</>;
}
