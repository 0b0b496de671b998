import { Injectable } from '@nestjs/common';
import { planPage, tenantSchemaIssues, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { AuditService, NotFoundError, ValidationError } from '@herald/core';
import { newId, PrismaService } from '@herald/db';
import { EventTypeRepository, type EventTypeData, type EventTypeRow } from './event-type.repository';
import { requestedFeatureFlags, type EventTypeIn, type EventTypeListQuery, type EventTypePatch, type EventTypeUpdate } from './event-type.schemas';
import { toEventTypeOut } from './management.mappers';
import type { EventTypeOut } from './management.responses';
import type { Outcome } from './application.service';

@Injectable()
export class EventTypeService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly eventTypes: EventTypeRepository,
    private readonly audit: AuditService,
  ) {}

  /** Listed by name; schemas only `with_content` (they can be large). */
  async list(ctx: RequestContext, query: EventTypeListQuery): Promise<ListResponse<EventTypeOut>> {
    const plan = planPage(query, 'ascending');
    const rows = await this.eventTypes.list(ctx.scope, plan, query.include_archived, visibleFlags(ctx));
    return toListResponse(rows, plan, (r) => r.name, (r) => toEventTypeOut(r, query.with_content));
  }

  async get(ctx: RequestContext, name: string): Promise<EventTypeOut> {
    const row = await this.eventTypes.find(ctx.scope, name, visibleFlags(ctx));
    if (!row) throw new NotFoundError('Event type');
    return toEventTypeOut(row, true);
  }

  async create(ctx: RequestContext, input: EventTypeIn): Promise<EventTypeOut> {
    const data = fullData(input);
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await this.eventTypes.create(tx, ctx.scope, newId('et'), input.name, data);
      await this.audit.record(tx, ctx.scope, ctx.audit, { action: 'event_type.created', target: { type: 'event_type', id: created.name } });
      return created;
    });
    return toEventTypeOut(row, true);
  }

  /** PUT: replaces the event type, or creates it under the path's name (201). */
  async upsert(ctx: RequestContext, name: string, input: EventTypeUpdate): Promise<Outcome<EventTypeOut>> {
    const data = fullData(input);
    const existing = await this.eventTypes.find(ctx.scope, name);
    if (!existing) return { status: 201, body: await this.create(ctx, { ...input, name }) };
    return { status: 200, body: toEventTypeOut(await this.updateRow(ctx, existing, data, 'event_type.updated'), true) };
  }

  async patch(ctx: RequestContext, name: string, input: EventTypePatch): Promise<EventTypeOut> {
    const data: Partial<EventTypeData> = {};
    if (input.description !== undefined) data.description = input.description;
    if (input.archived !== undefined) data.archived = input.archived;
    if (input.deprecated !== undefined) data.deprecated = input.deprecated;
    const flags = requestedFeatureFlags(input);
    if (flags !== undefined) data.featureFlags = flags;
    if (input.groupName !== undefined) data.groupName = input.groupName;
    if (input.schemas !== undefined) data.schemas = checkedSchemas(input.schemas);
    const existing = await this.find(ctx, name);
    return toEventTypeOut(await this.updateRow(ctx, existing, data, 'event_type.updated'), true);
  }

  /** DELETE archives (messages of the type can still be sent); `expunge=true` deletes the row. */
  async delete(ctx: RequestContext, name: string, expunge: boolean): Promise<void> {
    const existing = await this.find(ctx, name);
    if (!expunge) {
      await this.updateRow(ctx, existing, { archived: true }, 'event_type.archived');
      return;
    }
    await this.prisma.$transaction(async (tx) => {
      if (!(await this.eventTypes.delete(tx, ctx.scope, existing.id))) throw new NotFoundError('Event type');
      await this.audit.record(tx, ctx.scope, ctx.audit, { action: 'event_type.deleted', target: { type: 'event_type', id: existing.name } });
    });
  }

  private async find(ctx: RequestContext, name: string): Promise<EventTypeRow> {
    const row = await this.eventTypes.find(ctx.scope, name);
    if (!row) throw new NotFoundError('Event type');
    return row;
  }

  private async updateRow(ctx: RequestContext, existing: EventTypeRow, data: Partial<EventTypeData>, action: string): Promise<EventTypeRow> {
    return this.prisma.$transaction(async (tx) => {
      const row = await this.eventTypes.update(tx, ctx.scope, existing.id, data);
      await this.audit.record(tx, ctx.scope, ctx.audit, {
        action,
        target: { type: 'event_type', id: existing.name },
        details: { fields: Object.keys(data).sort() },
      });
      return row;
    });
  }
}

/** The whole event type as a POST or PUT body describes it (absent fields take their defaults). */
function fullData(input: EventTypeUpdate): EventTypeData {
  return {
    description: input.description,
    archived: input.archived ?? false,
    deprecated: input.deprecated ?? false,
    featureFlags: requestedFeatureFlags(input) ?? [],
    groupName: input.groupName ?? null,
    schemas: checkedSchemas(input.schemas ?? null),
  };
}

function checkedSchemas(schemas: Record<string, unknown> | null): Record<string, unknown> | null {
  if (schemas === null) return null;
  const issues = tenantSchemaIssues(schemas, ['body', 'schemas']);
  if (issues.length > 0) throw new ValidationError(issues);
  return schemas;
}

/**
 * Which feature-flagged event types the caller sees (as Svix): an app-portal token those
 * without flags and those sharing a flag with the token; API keys everything (null).
 */
function visibleFlags(ctx: RequestContext): string[] | null {
  return ctx.principal.kind === 'app_portal' ? ctx.principal.featureFlags : null;
}
