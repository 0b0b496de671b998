import { Body, Controller, createParamDecorator, HttpCode, Param, Post, type ExecutionContext } from '@nestjs/common';
import { Ctx, RequireAccess, ZodPipe, type RequestContext } from '@herald/api-core';
import type { FastifyRequest } from 'fastify';
import { appPortalAccessInSchema, type AppPortalAccessIn } from './app-portal.schemas';
import { AppPortalService, type AppPortalAccessOut } from './app-portal.service';
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
}
