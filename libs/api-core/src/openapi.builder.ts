import { Injectable, Logger, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { ACCESS_METADATA, type Access, type AccessRule, type PortalCapability } from './access.decorator';
import { API_OPERATION_METADATA, type ApiOperationOptions } from './api-operation.decorator';
import { ZodPipe } from './zod.pipe';

export type JsonSchema = Record<string, unknown>;

/** One route as the API serves it, whether or not it carries an @ApiOperation. */
export interface RouteDescription {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';
  /** OpenAPI template: /api/v1/app/{app_id} */
  path: string;
  access: Access | undefined;
  portal: PortalCapability | undefined;
  operationId: string;
  status: number;
  options: ApiOperationOptions | undefined;
  body: z.ZodType | undefined;
  query: z.ZodType | undefined;
  params: z.ZodType | undefined;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, JsonSchema>>;
  components: { securitySchemes: Record<string, JsonSchema>; schemas: Record<string, JsonSchema> };
}

const METHODS: Partial<Record<RequestMethod, RouteDescription['method']>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.DELETE]: 'delete',
  [RequestMethod.HEAD]: 'head',
  [RequestMethod.OPTIONS]: 'options',
};

const ERROR_REF = { $ref: '#/components/schemas/HttpError' };
const VALIDATION_REF = { $ref: '#/components/schemas/HttpValidationError' };

/**
 * Herald's OpenAPI 3.1 document, built from the running application: every controller route
 * Nest registered (so none is missing), its access rule, request schemas from its `ZodPipe`s
 * or its @ApiOperation, and response schemas from @ApiOperation where given.
 */
@Injectable()
export class OpenApiBuilder {
  private readonly logger = new Logger('OpenApiBuilder');
  private readonly scanner = new MetadataScanner();
  private cached: OpenApiDocument | undefined;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  document(): OpenApiDocument {
    this.cached ??= this.build();
    return this.cached;
  }

  routes(): RouteDescription[] {
    const routes: RouteDescription[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | undefined;
      if (!controller?.prototype) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      const bases = asArray(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined);
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const ownPaths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (ownPaths === undefined || requestMethod === undefined) continue;
        const method = METHODS[requestMethod];
        if (!method) continue;
        const options = Reflect.getMetadata(API_OPERATION_METADATA, handler) as ApiOperationOptions | undefined;
        const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [handler as () => void, controller]);
        const httpCode = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
        const pipes = pipeSchemas(controller, name);
        let index = 0;
        for (const base of bases) {
          for (const own of asArray(ownPaths)) {
            routes.push({
              method,
              path: toTemplate(base, own),
              access: rule?.access,
              portal: rule?.portal,
              operationId: index === 0 ? `${controller.name}.${name}` : `${controller.name}.${name}.${index}`,
              status: options?.status ?? httpCode ?? (method === 'post' ? 201 : 200),
              options,
              body: options?.body ?? pipes.body,
              query: options?.query ?? pipes.query,
              params: options?.path ?? pipes.params,
            });
            index += 1;
          }
        }
      }
    }
    return routes.sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path < b.path ? -1 : 1));
  }

  private build(): OpenApiDocument {
    const paths: OpenApiDocument['paths'] = {};
    for (const route of this.routes()) {
      (paths[route.path] ??= {})[route.method] = this.operation(route);
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Herald API',
        version: '1.0.0',
        description:
          'Webhook delivery API, compatible with the Svix server API under /api/v1, plus Herald extensions (tenants, API keys, settings, audit log). ' +
          'Authenticate with `Authorization: Bearer <key>`. `x-herald-access` names what each route needs: read, write, send, secret (scope `all`), operator, authenticated (any token), portal (app-portal tokens only), or public; `x-herald-portal-capability` the app-portal capability that opens the route to portal tokens (absent: closed to them).',
      },
      paths,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          HttpError: {
            type: 'object',
            properties: { code: { type: 'string' }, detail: { type: 'string' } },
            required: ['code', 'detail'],
          },
          HttpValidationError: {
            type: 'object',
            properties: {
              detail: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { loc: { type: 'array', items: { type: ['string', 'integer'] } }, msg: { type: 'string' }, type: { type: 'string' } },
                  required: ['loc', 'msg', 'type'],
                },
              },
            },
            required: ['detail'],
          },
        },
      },
    };
  }

  private operation(route: RouteDescription): JsonSchema {
    const op: JsonSchema = {
      operationId: route.operationId,
      summary: route.options?.summary ?? `${route.method.toUpperCase()} ${route.path}`,
      tags: [route.options?.tag ?? tagOf(route.path)],
      'x-herald-access': route.access ?? 'none',
      ...(route.portal ? { 'x-herald-portal-capability': route.portal } : {}),
      security: route.access === 'public' ? [] : [{ bearer: [] }],
    };
    if (route.options?.description) op['description'] = route.options.description;

    const parameters: JsonSchema[] = [];
    const pathSchema = route.params ? this.schema(route.params, 'input', route) : undefined;
    for (const name of pathParamNames(route.path)) {
      parameters.push({ name, in: 'path', required: true, schema: propertyOf(pathSchema, name) ?? { type: 'string' } });
    }
    const querySchema = route.query ? this.schema(route.query, 'input', route) : undefined;
    const queryProps = (querySchema?.['properties'] ?? {}) as Record<string, JsonSchema>;
    const queryRequired = (querySchema?.['required'] ?? []) as string[];
    for (const [name, schema] of Object.entries(queryProps)) {
      parameters.push({ name, in: 'query', required: queryRequired.includes(name), schema });
    }
    if (route.method === 'post' && route.access !== 'public') {
      parameters.push({
        name: 'idempotency-key',
        in: 'header',
        required: false,
        description: 'A retry with this key on the same path gets the first completed response again for 24 h, whatever its body, marked by the response header idempotent-replayed: true; 409 idempotency_in_progress while the first request still runs.',
        schema: { type: 'string', minLength: 1, maxLength: 256 },
      });
    }
    if (parameters.length > 0) op['parameters'] = parameters;

    if (route.body) {
      const body = this.schema(route.body, 'input', route);
      op['requestBody'] = { required: true, content: { 'application/json': { schema: body ?? {} } } };
    }

    const responses: Record<string, JsonSchema> = {};
    const response = route.options?.response ? this.schema(route.options.response, 'output', route) : undefined;
    responses[String(route.status)] =
      route.status === 204
        ? { description: 'No content' }
        : { description: 'Success', ...(response || !route.options ? { content: { 'application/json': { schema: response ?? {} } } } : {}) };
    if (route.access !== 'public') {
      responses['401'] = { description: 'Missing, unknown, revoked or expired key', content: { 'application/json': { schema: ERROR_REF } } };
      responses['403'] = { description: 'Key scope or address not allowed', content: { 'application/json': { schema: ERROR_REF } } };
      responses['429'] = { description: 'Rate limited (see Retry-After)', content: { 'application/json': { schema: ERROR_REF } } };
    }
    if (pathParamNames(route.path).length > 0) {
      responses['404'] = { description: 'Not found', content: { 'application/json': { schema: ERROR_REF } } };
    }
    if (route.body || route.query || route.params) {
      responses['422'] = { description: 'Validation error', content: { 'application/json': { schema: VALIDATION_REF } } };
    }
    op['responses'] = responses;
    return op;
  }

  private schema(schema: z.ZodType, io: 'input' | 'output', route: RouteDescription): JsonSchema | undefined {
    try {
      const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
      delete json['$schema'];
      return json;
    } catch (err) {
      // The route stays documented, without this schema.
      this.logger.warn(`no JSON Schema for ${route.method.toUpperCase()} ${route.path} (${io}): ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
}

interface RouteArg {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/** The zod schemas of a handler's whole-body, whole-query and whole-params `ZodPipe`s. */
function pipeSchemas(controller: Type, method: string): { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType } {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, RouteArg>;
  const found: { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType } = {};
  for (const [key, arg] of Object.entries(args)) {
    const type = Number(key.split(':')[0]);
    if (arg.data !== undefined) continue;
    const pipe = (arg.pipes ?? []).find((p): p is ZodPipe<z.ZodType> => p instanceof ZodPipe);
    if (!pipe) continue;
    if (type === RouteParamtypes.BODY) found.body = pipe.schema;
    else if (type === RouteParamtypes.QUERY) found.query = pipe.schema;
    else if (type === RouteParamtypes.PARAM) found.params = pipe.schema;
  }
  return found;
}

function asArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

function toTemplate(base: string, own: string): string {
  const joined = [base, own]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
  return `/${joined}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string);
}

function propertyOf(schema: JsonSchema | undefined, name: string): JsonSchema | undefined {
  const props = schema?.['properties'] as Record<string, JsonSchema> | undefined;
  return props?.[name];
}

function tagOf(path: string): string {
  const rest = path.replace(/^\/api\/v1\/?/, '');
  const first = rest.split('/')[0];
  return first && !first.startsWith('{') ? first : 'other';
}
