import { Body, Controller, createParamDecorator, Get, HttpCode, Param, Post, Req, type ExecutionContext } from '@nestjs/common';
import { ApiOperation, Ctx, RequireAccess, ZodPipe, type AuthenticatedRequest, type RequestContext } from '@herald/api-core';
import { UnauthorizedError } from '@herald/tenancy';
import type { FastifyRequest } from 'fastify';
import { appPortalAccessInSchema, applicationTokenExpireInSchema, type AppPortalAccessIn, type ApplicationTokenExpireIn } from './app-portal.schemas';
import { AppPortalService, sessionOf } from './app-portal.service';
import { appPortalAccessOutSchema, sessionOutSchema, type AppPortalAccessOut, type SessionOut } from './management.responses';
import { appPathSchema, type AppPath } from './management.schemas';

/** The origin the caller reached the API at (forwarded headers count only from HERALD_TRUST_PROXY). */
const RequestOrigin = createParamDecorator((_data: unknown, host: ExecutionContext): string => {
  const request = host.switchToHttp().getRequest<FastifyRequest>();
  return `${request.protocol}://${request.host}`;
});

@Controller('api/v1/auth')
export class AppPortalController {
  constructor(private readonly portal: AppPortalService) {}

  @Post('app-portal-access/:app_id')
  @ApiOperation({ summary: 'Issue an app-portal token and URL for one application', tag: 'Authentication', response: appPortalAccessOutSchema })
  @HttpCode(200)
  @RequireAccess('write')
  createAccess(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Body(new ZodPipe(appPortalAccessInSchema, 'body')) body: AppPortalAccessIn,
    @RequestOrigin() origin: string,
  ): Promise<AppPortalAccessOut> {
    return this.portal.createAccess(ctx, path.app_id, body, origin);
  }

  @Post('app/:app_id/expire-all')
  @ApiOperation({ summary: "Expire an application's app-portal tokens", tag: 'Authentication' })
  @HttpCode(204)
  @RequireAccess('write')
  async expireAll(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Body(new ZodPipe(applicationTokenExpireInSchema, 'body')) body: ApplicationTokenExpireIn,
  ): Promise<void> {
    await this.portal.expireAll(ctx, path.app_id, body);
  }

  @Post('logout')
  @ApiOperation({ summary: 'Revoke the calling app-portal token', tag: 'Authentication' })
  @HttpCode(204)
  @RequireAccess('portal', { portal: 'ViewBase' })
  async logout(@Ctx() ctx: RequestContext): Promise<void> {
    await this.portal.logout(ctx);
  }

  /** Who the bearer token is and what it may do (the web UI shows only what it can use). */
  @Get('session')
  @ApiOperation({ summary: 'What the bearer token is and may do', tag: 'Authentication', response: sessionOutSchema })
  @RequireAccess('authenticated', { portal: 'ViewBase' })
  session(@Req() request: AuthenticatedRequest): SessionOut {
    if (!request.user) throw new UnauthorizedError('Missing bearer token');
    return sessionOf(request.user);
  }
}
