import { useState } from 'react';
import { Link, NavLink, Outlet, useParams } from 'react-router';
import { useHerald } from '../app/herald-context';
import { EndpointDetail } from '../endpoints/endpoint-detail';
import { EndpointList } from '../endpoints/endpoint-list';
import { MessageDetail } from '../messages/message-detail';
import { MessageList } from '../messages/message-list';
import { QueryView, ErrorMessage } from '../ui/states';
import { useApplication, usePortalAccess } from './queries';

function PortalLink({ appId }: { appId: string }) {
  const access = usePortalAccess(appId);
  const [readOnly, setReadOnly] = useState(false);
  return (
    <details className="panel">
      <summary>App portal link for this customer</summary>
      <p className="hint">A link that opens this application’s webhook portal, valid for 7 days. Anyone holding it can use it: send it privately.</p>
      <label className="check">
        <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read-only
      </label>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => access.mutate(readOnly)} disabled={access.isPending}>
          Create portal link
        </button>
      </div>
      {access.isError ? <ErrorMessage error={access.error} title="No link" /> : null}
      {access.data ? (
        <p>
          <a href={access.data.url} target="_blank" rel="noreferrer">
            Open the app portal
          </a>{' '}
          <code className="secret">{access.data.url}</code>
        </p>
      ) : null}
    </details>
  );
}

/** One application: its endpoints and messages as in the portal, plus a portal link. */
export function ApplicationFrame() {
  const { appId = '' } = useParams();
  const { abilities } = useHerald();
  const app = useApplication(appId);
  return (
    <QueryView query={app} what="the application">
      {(a) => (
        <article aria-labelledby="app-heading">
          <nav aria-label="Breadcrumb" className="crumbs">
            <Link to="/applications">Applications</Link> / <span aria-current="page">{a.name}</span>
          </nav>
          <h1 id="app-heading">{a.name}</h1>
          <p className="muted mono small">
            {a.id}
            {a.uid ? ` · uid ${a.uid}` : ''}
          </p>
          {abilities.manageTenant ? <PortalLink appId={a.id} /> : null}
          <nav aria-label="Application" className="tabs">
            <NavLink to={`/applications/${a.id}`} end>
              Endpoints
            </NavLink>
            <NavLink to={`/applications/${a.id}/messages`}>Messages</NavLink>
          </nav>
          <Outlet />
        </article>
      )}
    </QueryView>
  );
}

export function AppEndpointsRoute() {
  const { appId = '' } = useParams();
  return <EndpointList appId={appId} basePath={`/applications/${appId}`} headingLevel={2} />;
}
export function AppEndpointRoute() {
  const { appId = '', endpointId = '' } = useParams();
  return <EndpointDetail appId={appId} endpointId={endpointId} basePath={`/applications/${appId}`} />;
}
export function AppMessagesRoute() {
  const { appId = '' } = useParams();
  return <MessageList appId={appId} basePath={`/applications/${appId}`} headingLevel={2} />;
}
export function AppMessageRoute() {
  const { appId = '', msgId = '' } = useParams();
  return <MessageDetail appId={appId} msgId={msgId} basePath={`/applications/${appId}`} />;
}
