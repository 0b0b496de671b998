import { useQuery } from '@tanstack/react-query';
import { Outlet, useParams } from 'react-router';
import { unwrap } from '../api/client';
import { isReadOnly } from '../auth/abilities';
import { useHerald } from '../app/herald-context';
import { Layout } from '../app/layout';
import { EndpointDetail } from '../endpoints/endpoint-detail';
import { EndpointList } from '../endpoints/endpoint-list';
import { EventCatalog } from '../event-types/event-catalog';
import { MessageDetail } from '../messages/message-detail';
import { MessageList } from '../messages/message-list';
import { Badge } from '../ui/controls';
import { ErrorMessage } from '../ui/states';

/** The application a portal token is bound to. */
export function usePortalAppId(): string {
  const { session } = useHerald();
  if (!session.appId) throw new Error('This token is not an app-portal token');
  return session.appId;
}

function PortalFrame() {
  const { client, abilities, session } = useHerald();
  const appId = session.appId;
  const app = useQuery({
    queryKey: ['app', appId],
    queryFn: () => unwrap(client.GET('/api/v1/app/{app_id}', { params: { path: { app_id: appId ?? '' } } })),
    enabled: appId !== null,
  });
  if (session.kind !== 'app_portal' || !appId) {
    return <ErrorMessage title="Not an app-portal link" error="This page needs the link your provider gave you for its webhook portal." />;
  }
  return (
    <Layout
      product={
        <>
          <span className="product">Webhooks</span>
          <span className="app-name">{app.data?.name ?? ''}</span>
        </>
      }
      nav={[
        { to: '/', label: 'Endpoints', end: true },
        { to: '/messages', label: 'Messages' },
        { to: '/event-types', label: 'Event catalog' },
      ]}
      aside={isReadOnly(abilities) ? <Badge tone="info">Read-only access</Badge> : null}
    >
      <Outlet />
    </Layout>
  );
}

function EndpointsRoute() {
  return <EndpointList appId={usePortalAppId()} basePath="" />;
}
function EndpointRoute() {
  const { endpointId = '' } = useParams();
  return <EndpointDetail appId={usePortalAppId()} endpointId={endpointId} basePath="" />;
}
function MessagesRoute() {
  return <MessageList appId={usePortalAppId()} basePath="" />;
}
function MessageRoute() {
  const { msgId = '' } = useParams();
  return <MessageDetail appId={usePortalAppId()} msgId={msgId} basePath="" />;
}

export const portalRoutes = [
  {
    path: '/',
    element: <PortalFrame />,
    children: [
      { index: true, element: <EndpointsRoute /> },
      { path: 'endpoints/:endpointId', element: <EndpointRoute /> },
      { path: 'messages', element: <MessagesRoute /> },
      { path: 'messages/:msgId', element: <MessageRoute /> },
      { path: 'event-types', element: <EventCatalog /> },
      { path: '*', element: <ErrorMessage title="Page not found" error="There is nothing at this address." /> },
    ],
  },
];
