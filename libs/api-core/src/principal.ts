import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { tenantScope, UnauthorizedError, type AuditContext, type TenantScope } from '@herald/tenancy';
import type { FastifyRequest } from 'fastify';
import type { PortalCapability } from './access.decorator';

export type ApiKeyScope = 'all' | 'read' | 'send';

export type Principal =
  | { kind: 'operator' }
  | { kind: 'api_key'; keyId: string; tenantId: string; scopes: ApiKeyScope[]; expiresAt: Date | null }
  | {
      kind: 'app_portal';
      keyId: string;
      tenantId: string;
      appId: string;
      /** The application's uid when the token was checked (paths may name the app by it). */
      appUid: string | null;
      capabilities: PortalCapability[];
      /** Svix feature flags the token was issued with: which flagged event types it sees. */
      featureFlags: string[];
      expiresAt: Date | null;
    };

export type AuthenticatedRequest = FastifyRequest & { user?: Principal };

/** Everything a service needs to act for the caller: its tenant and who to audit. */
export interface RequestContext {
  principal: Principal;
  scope: TenantScope;
  audit: AuditContext;
}

export function auditContextOf(request: AuthenticatedRequest): AuditContext {
  const p = request.user;
  const actor: AuditContext['actor'] =
    p === undefined
      ? { type: 'system', id: null }
      : p.kind === 'operator'
        ? { type: 'operator', id: null }
        : { type: p.kind, id: p.keyId };
  return { actor, ip: request.ip ?? null, requestId: String(request.id) };
}

/** The caller's tenant context; only on routes that a tenant's key reaches. */
export const Ctx = createParamDecorator((_data: unknown, host: ExecutionContext): RequestContext => {
  const request = host.switchToHttp().getRequest<AuthenticatedRequest>();
  const principal = request.user;
  if (!principal || principal.kind === 'operator') throw new UnauthorizedError('A tenant API key is required');
  return { principal, scope: tenantScope(principal.tenantId), audit: auditContextOf(request) };
});

/** Audit context for operator routes (no tenant scope of its own). */
export const OperatorCtx = createParamDecorator((_data: unknown, host: ExecutionContext): AuditContext => {
  return auditContextOf(host.switchToHttp().getRequest<AuthenticatedRequest>());
});
