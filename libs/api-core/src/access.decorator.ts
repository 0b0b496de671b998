import { SetMetadata } from '@nestjs/common';

/**
 * What a route needs from the caller. Every route declares one (lint: herald/require-access):
 * - `public`: nobody needs to authenticate (health, metrics, docs);
 * - `operator`: the operator token (HERALD_ADMIN_TOKEN);
 * - `authenticated`: any valid bearer token (who am I);
 * - `read`: GETs other than secrets — keys with scope `all` or `read`;
 * - `write`: changes — scope `all`;
 * - `send`: creating messages — scope `all` or `send`;
 * - `secret`: revealing a secret — scope `all` only;
 * - `portal`: app-portal tokens only (their own session).
 */
export type Access = 'public' | 'operator' | 'authenticated' | 'read' | 'write' | 'send' | 'secret' | 'portal';

/**
 * What an app-portal token needs to use a route (Svix's AppPortalCapability). A route that names
 * none is closed to portal tokens. `ManageTransformations` is accepted at issue time but opens
 * nothing: Herald has no transformations.
 */
export const PORTAL_CAPABILITIES = ['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'ManageTransformations', 'CreateAttempts', 'ManageEndpoint'] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

export interface AccessRule {
  access: Access;
  portal?: PortalCapability;
}

export const ACCESS_METADATA = 'herald:access';

export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_METADATA, { access: 'public' } satisfies AccessRule);

/**
 * `options.portal`: the capability an app-portal token needs here. On routes with `{app_id}`
 * the token must also belong to that application (else 404).
 */
export const RequireAccess = (access: Exclude<Access, 'public'>, options: { portal?: PortalCapability } = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_METADATA, { access, portal: options.portal } satisfies AccessRule);
