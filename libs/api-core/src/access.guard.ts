import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '@herald/tenancy';
import { ACCESS_METADATA, type AccessRule } from './access.decorator';
import { ApiKeyAuthService } from './api-key-auth.service';
import type { AuthenticatedRequest, Principal } from './principal';
import { RateLimiter } from './rate-limiter.service';

/**
 * The global guard and the one place that decides who may call what: authenticates the
 * bearer token, applies the per-key rate limit and checks the route's declared rule against
 * the principal. A route that declares nothing is refused; public routes are neither
 * authenticated nor rate-limited.
 *
 * Not passport: its strategies live in one process-wide registry, so a second API app in a
 * process (tests start several) took over the first one's authentication; reading one
 * header needs no framework.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: ApiKeyAuthService,
    private readonly rateLimiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [context.getHandler(), context.getClass()]);
    if (rule?.access === 'public') return true;
    if (rule === undefined) throw new ForbiddenError('Route has no access rule');
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError('Missing or malformed bearer token');
    const principal = await this.auth.authenticate(token, request.ip);
    request.user = principal;
    // Per key, after authentication and before the scope check: refused calls count too.
    await this.rateLimiter.consume(principal);
    assertAllowed(principal, rule, request);
    return true;
  }
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1); undefined otherwise. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
}

export function assertAllowed(principal: Principal, rule: AccessRule, request: AuthenticatedRequest): void {
  const { access } = rule;
  if (access === 'public' || access === 'authenticated') return;
  if (access === 'operator') {
    if (principal.kind !== 'operator') throw new UnauthorizedError('Operator token required');
    return;
  }
  if (principal.kind === 'operator') throw new UnauthorizedError('A tenant API key is required');
  if (principal.kind === 'app_portal') {
    assertPortalAllowed(principal, rule, request);
    return;
  }
  if (access === 'portal') throw new ForbiddenError('Only app-portal tokens can use this operation');
  const scopes = principal.scopes;
  if (scopes.includes('all')) return;
  const ok = (access === 'read' && scopes.includes('read')) || (access === 'send' && scopes.includes('send'));
  if (!ok) throw new ForbiddenError(`API key scope does not allow this operation (needs ${access === 'read' ? 'read' : access === 'send' ? 'send' : 'all'})`);
}

/**
 * App-portal tokens reach one application and only the routes that name a capability they
 * carry. Another application answers 404, as if it did not exist. The path's `{app_id}` (an
 * id or a uid) is rewritten to the token's application id, so whatever resolves it later
 * finds that application and no other (an id match would otherwise win over a uid match).
 */
function assertPortalAllowed(principal: Extract<Principal, { kind: 'app_portal' }>, rule: AccessRule, request: AuthenticatedRequest): void {
  if (!rule.portal) throw new ForbiddenError('App-portal tokens cannot use this operation');
  const params = (request.params ?? {}) as Record<string, string | undefined>;
  const appRef = params['app_id'];
  if (appRef !== undefined) {
    if (appRef !== principal.appId && (principal.appUid === null || appRef !== principal.appUid)) throw new NotFoundError('Application');
    params['app_id'] = principal.appId;
  }
  if (!principal.capabilities.includes(rule.portal)) {
    throw new ForbiddenError(`This app-portal token cannot do this (needs the ${rule.portal} capability)`);
  }
}
