import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { createQueryClient } from '../app/query-client';
import { SessionGate } from '../app/herald-context';
import { takePortalToken } from '../auth/token-store';
import { ErrorMessage } from '../ui/states';
import { portalRoutes } from './portal-app';
import '../ui/styles.css';

// Before anything renders: take the token out of the address bar (it must not linger there).
const token = takePortalToken(window.location, window.history, window.sessionStorage);
const router = createBrowserRouter(portalRoutes, { basename: '/app-portal' });

function Rejected({ error }: { error: unknown }) {
  return (
    <main id="main" className="gate">
      <h1>Webhooks</h1>
      <ErrorMessage title="This link is invalid or has expired" error={error} />
      <p>Ask the service that sent you here for a new link.</p>
    </main>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={createQueryClient()}>
      {token === null ? (
        <Rejected error="No access token: open the link you were given." />
      ) : (
        <SessionGate token={token} rejected={(error) => <Rejected error={error} />}>
          <RouterProvider router={router} />
        </SessionGate>
      )}
    </QueryClientProvider>
  </StrictMode>,
);
