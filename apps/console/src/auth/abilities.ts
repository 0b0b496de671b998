import type { paths } from '../api/client';

/** GET /api/v1/auth/session, as the OpenAPI document describes it. */
export type Session = paths['/api/v1/auth/session']['get']['responses']['200']['content']['application/json'];

/**
 * What the signed-in token may do, derived once from its session so that every view shows
 * only the controls that would work (the API enforces the same rules; this only hides).
 */
export interface Abilities {
  /** Read applications, endpoints, messages, attempts and the event catalog. */
  read: boolean;
  /** Create, change, disable and delete endpoints and their headers. */
  manageEndpoints: boolean;
  revealSecret: boolean;
  rotateSecret: boolean;
  /** Resend, recover, send an example. */
  createAttempts: boolean;
  /** Tenant-wide changes: applications, event types, API keys, settings, portal links. */
  manageTenant: boolean;
  /** The tenant's own pages: API keys, settings, audit log, event types. */
  tenantPages: boolean;
  /** Operator pages: tenants, health, queue depth, failing endpoints. */
  operator: boolean;
}

const NONE: Abilities = {
  read: false,
  manageEndpoints: false,
  revealSecret: false,
  rotateSecret: false,
  createAttempts: false,
  manageTenant: false,
  tenantPages: false,
  operator: false,
};

export function abilitiesOf(session: Session): Abilities {
  switch (session.kind) {
    case 'operator':
      return { ...NONE, operator: true };
    case 'app_portal': {
      const has = (c: Session['capabilities'][number]): boolean => session.capabilities.includes(c);
      return {
        ...NONE,
        read: has('ViewBase'),
        manageEndpoints: has('ManageEndpoint'),
        revealSecret: has('ViewEndpointSecret'),
        rotateSecret: has('ManageEndpointSecret'),
        createAttempts: has('CreateAttempts'),
      };
    }
    case 'api_key': {
      const all = session.scopes.includes('all');
      const read = all || session.scopes.includes('read');
      return {
        ...NONE,
        read,
        manageEndpoints: all,
        revealSecret: all,
        rotateSecret: all,
        createAttempts: all,
        manageTenant: all,
        tenantPages: read,
      };
    }
  }
}

/** True when the token may change nothing at all (a read-only portal token or `read` key). */
export function isReadOnly(a: Abilities): boolean {
  return a.read && !a.manageEndpoints && !a.revealSecret && !a.rotateSecret && !a.createAttempts && !a.manageTenant;
}
