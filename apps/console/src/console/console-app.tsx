import { Navigate, Outlet } from 'react-router';
import { useHerald } from '../app/herald-context';
import { Layout, type NavItem } from '../app/layout';
import { ApiKeysPage } from '../api-keys/api-keys-page';
import { AppEndpointRoute, AppEndpointsRoute, ApplicationFrame, AppMessageRoute, AppMessagesRoute } from '../applications/application-page';
import { ApplicationsPage } from '../applications/applications-page';
import { AuditLogPage } from '../audit-log/audit-log-page';
import { EventTypesPage } from '../event-types/event-types-page';
import { OverviewPage } from '../operator/overview-page';
import { TenantsPage } from '../operator/tenants-page';
import { SettingsPage } from '../settings/settings-page';
import { Badge } from '../ui/controls';
import { ErrorMessage } from '../ui/states';

const TENANT_NAV: NavItem[] = [
  { to: '/applications', label: 'Applications' },
  { to: '/event-types', label: 'Event types' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/settings', label: 'Settings' },
  { to: '/audit-log', label: 'Audit log' },
];
const OPERATOR_NAV: NavItem[] = [
  { to: '/tenants', label: 'Tenants' },
  { to: '/overview', label: 'Health and queues' },
];

function ConsoleFrame({ signOut }: { signOut: () => void }) {
  const { session, abilities } = useHerald();
  const who = session.kind === 'operator' ? 'Operator' : `Tenant key · ${session.scopes.join(', ')}`;
  return (
    <Layout
      product={<span className="product">Herald Console</span>}
      nav={abilities.operator ? OPERATOR_NAV : abilities.tenantPages ? TENANT_NAV : []}
      aside={
        <>
          <Badge tone="info">{who}</Badge>
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </>
      }
    >
      {session.kind === 'app_portal' ? (
        <ErrorMessage title="This is an app-portal token" error="Open it through the portal link instead; the console needs a tenant API key or the operator token." />
      ) : !abilities.operator && !abilities.tenantPages ? (
        <ErrorMessage title="This key cannot read" error="It has the send scope only (it may create messages). Sign in with a key whose scope is all or read." />
      ) : (
        <Outlet />
      )}
    </Layout>
  );
}

function Home() {
  const { abilities } = useHerald();
  return <Navigate to={abilities.operator ? '/tenants' : '/applications'} replace />;
}

/** Operator-only or tenant-only pages say so instead of showing API errors. */
function Only({ operator, children }: { operator: boolean; children: React.ReactNode }) {
  const { abilities } = useHerald();
  if (abilities.operator !== operator) return <ErrorMessage title="Not available" error={operator ? 'This page is for the operator token.' : 'This page needs a tenant API key.'} />;
  return <>{children}</>;
}

export function consoleRoutes(signOut: () => void) {
  return [
    {
      path: '/',
      element: <ConsoleFrame signOut={signOut} />,
      children: [
        { index: true, element: <Home /> },
        { path: 'applications', element: <Only operator={false}><ApplicationsPage /></Only> },
        {
          path: 'applications/:appId',
          element: <Only operator={false}><ApplicationFrame /></Only>,
          children: [
            { index: true, element: <AppEndpointsRoute /> },
            { path: 'messages', element: <AppMessagesRoute /> },
          ],
        },
        { path: 'applications/:appId/endpoints/:endpointId', element: <Only operator={false}><AppEndpointRoute /></Only> },
        { path: 'applications/:appId/messages/:msgId', element: <Only operator={false}><AppMessageRoute /></Only> },
        { path: 'event-types', element: <Only operator={false}><EventTypesPage /></Only> },
        { path: 'api-keys', element: <Only operator={false}><ApiKeysPage /></Only> },
        { path: 'settings', element: <Only operator={false}><SettingsPage /></Only> },
        { path: 'audit-log', element: <Only operator={false}><AuditLogPage /></Only> },
        { path: 'tenants', element: <Only operator><TenantsPage /></Only> },
        { path: 'overview', element: <Only operator><OverviewPage /></Only> },
        { path: '*', element: <ErrorMessage title="Page not found" error="There is nothing at this address." /> },
      ],
    },
  ];
}
