import { SetMetadata } from '@nestjs/common';

/**
 * What a route needs. Every route declares one (lint: herald/require-access):
 * - `public`: nobody needs to authenticate (health, metrics, docs);
 * - `operator`: the operator token (HERALD_ADMIN_TOKEN);
 * - `read`: GETs other than secrets — keys with scope `all` or `read`;
 * - `write`: changes — scope `all`;
 * - `send`: creating messages — scope `all` or `send`;
 * - `secret`: revealing a secret — scope `all` only.
 */
export type Access = 'public' | 'operator' | 'read' | 'write' | 'send' | 'secret';
export const ACCESS_METADATA = 'herald:access';

export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_METADATA, 'public');
export const RequireAccess = (access: Exclude<Access, 'public'>): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_METADATA, access);

/**
 * Marks a tenant-wide read that app-portal tokens may use too (event types: the portal shows
 * which events an endpoint can subscribe to). Other routes without an {app_id} stay closed to them.
 */
export const APP_PORTAL_READ_METADATA = 'herald:app-portal-read';
export const AllowAppPortalRead = (): MethodDecorator & ClassDecorator => SetMetadata(APP_PORTAL_READ_METADATA, true);
