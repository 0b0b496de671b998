import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ForbiddenError, HeraldError, UnauthorizedError } from '@herald/core';
import { ACCESS_METADATA, APP_PORTAL_READ_METADATA, type Access } from './access.decorator';
import type { AuthenticatedRequest, Principal } from './principal';
import { RateLimiter } from './rate-limiter.service';

/**
 * The global guard: authenticates with passport (bearer), applies the per-key rate limit and
 * checks the route's declared access against the principal. A route that declares nothing is
 * refused; public routes are neither authenticated nor rate-limited.
 */
@Injectable()
export class AccessGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimiter: RateLimiter,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [context.getHandler(), context.getClass()]);
    if (access === 'public') return true;
    if (access === undefined) throw new ForbiddenError('Route has no access rule');
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = request.user;
    if (!principal) throw new UnauthorizedError('Missing bearer token');
    // Per key, after authentication and before the scope check: refused calls count too.
    await this.rateLimiter.consume(principal);
    const portalReadable = this.reflector.getAllAndOverride<boolean | undefined>(APP_PORTAL_READ_METADATA, [context.getHandler(), context.getClass()]) === true;
    assertAllowed(principal, access, request, portalReadable);
    return true;
  }

  // Passport reports failures through this hook; keep our own errors, map the rest to 401.
  override handleRequest<TUser>(err: unknown, user: TUser): TUser {
    if (err instanceof HeraldError) throw err;
    if (err) throw err instanceof Error ? err : new UnauthorizedError('Authentication failed');
    if (!user) throw new UnauthorizedError('Missing or malformed bearer token');
    return user;
  }
}

function assertAllowed(principal: Principal, access: Exclude<Access, 'public'>, request: AuthenticatedRequest, portalReadable: boolean): void {
  if (access === 'operator') {
    if (principal.kind !== 'operator') throw new UnauthorizedError('Operator token required');
    return;
  }
  if (principal.kind === 'operator') throw new UnauthorizedError('A tenant API key is required');
  if (principal.kind === 'app_portal') {
    // App-portal tokens reach one application: its reads and its endpoints.
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    if (!params['app_id'] && !(access === 'read' && portalReadable)) throw new ForbiddenError('App-portal tokens reach one application only');
    return;
  }
  const scopes = principal.scopes;
  if (scopes.includes('all')) return;
  const ok = (access === 'read' && scopes.includes('read')) || (access === 'send' && scopes.includes('send'));
  if (!ok) throw new ForbiddenError(`API key scope does not allow this operation (needs ${access === 'read' ? 'read' : access === 'send' ? 'send' : 'all'})`);
}
