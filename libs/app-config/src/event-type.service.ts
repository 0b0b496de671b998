import { Injectable } from '@nestjs/common';
import { planPage, tenantSchemaIssues, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { NotFoundError, TenantUnitOfWork, ValidationError } from '@herald/tenancy';
import { eventTypesFromOpenApi, parseSpecRaw, sameJson, type ImportedEventType } from './event-type-import.rules';
import { newId } from '@herald/db';
import { EventTypeRepository, type EventTypeData, type EventTypeRow } from './event-type.repository';
import {
  requestedFeatureFlags,
  type EventTypeImportOpenApiIn,
  type EventTypeIn,
  type EventTypeListQuery,
  type EventTypePatch,
  type EventTypeUpdate,
} from './event-type.schemas';
import { toEventTypeOut } from './management.mappers';
import type { EventTypeFromOpenApi, EventTypeImportOpenApiOut, EventTypeOut } from './management.responses';
import type { Outcome } from './application.service';

@Injectable()
export class EventTypeService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly eventTypes: EventTypeRepository,
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
    const row = await this.uow.run(ctx.scope, async (tx) => {
      const created = await this.eventTypes.create(tx, newId('et'), input.name, data);
      await tx.audit(ctx.audit, { action: 'event_type.created', target: { type: 'event_type', id: created.name } });
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
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.eventTypes.delete(tx, existing.id))) throw new NotFoundError('Event type');
      await tx.audit(ctx.audit, { action: 'event_type.deleted', target: { type: 'event_type', id: existing.name } });
    });
  }

  /**
   * Creates or updates the event types of an OpenAPI document's `webhooks` (an archived one
   * comes back), and with `replaceAll` archives the others, all in one transaction; unchanged
   * ones are left alone. Any bad entry refuses the whole document (422), writing nothing.
   */
  async importOpenApi(ctx: RequestContext, input: EventTypeImportOpenApiIn): Promise<EventTypeImportOpenApiOut> {
    let spec: unknown = input.spec;
    let loc: (string | number)[] = ['body', 'spec'];
    if (input.specRaw != null) {
      const parsed = parseSpecRaw(input.specRaw);
      if (!parsed.ok) throw ValidationError.single(['body', 'specRaw'], parsed.reason);
      spec = parsed.value;
      loc = ['body', 'specRaw'];
    }
    const { types, issues } = eventTypesFromOpenApi(spec, loc);
    for (const t of types) if (t.schemas) issues.push(...tenantSchemaIssues(t.schemas, [...loc, 'webhooks', t.name, 'schemas']));
    if (issues.length > 0) throw new ValidationError(issues);

    const existing = new Map((await this.eventTypes.findByNames(ctx.scope, types.map((t) => t.name))).map((r) => [r.name, r]));
    const changed = types.filter((t) => {
      const row = existing.get(t.name);
      return !row || row.archived || !sameImported(row, t);
    });
    const archive = input.replaceAll ? await this.eventTypes.activeExcept(ctx.scope, types.map((t) => t.name)) : [];
    if (input.dryRun) return { data: { modified: [], to_modify: changed.map(fromOpenApiOut) } };

    await this.uow.run(ctx.scope, async (tx) => {
      for (const t of changed) {
        const row = existing.get(t.name);
        const data: EventTypeData = { description: t.description, archived: false, deprecated: t.deprecated, featureFlags: t.featureFlags, groupName: t.groupName, schemas: t.schemas };
        if (row) await this.eventTypes.update(tx, row.id, data);
        else await this.eventTypes.create(tx, newId('et'), t.name, data);
        await tx.audit(ctx.audit, {
          action: row ? 'event_type.updated' : 'event_type.created',
          target: { type: 'event_type', id: t.name },
          details: { via: 'import.openapi' },
        });
      }
      for (const row of archive) {
        await this.eventTypes.update(tx, row.id, { archived: true });
        await tx.audit(ctx.audit, { action: 'event_type.archived', target: { type: 'event_type', id: row.name }, details: { via: 'import.openapi' } });
      }
    });
    return { data: { modified: [...changed.map((t) => t.name), ...archive.map((r) => r.name)] } };
  }

  private async find(ctx: RequestContext, name: string): Promise<EventTypeRow> {
    const row = await this.eventTypes.find(ctx.scope, name);
    if (!row) throw new NotFoundError('Event type');
    return row;
  }

  private async updateRow(ctx: RequestContext, existing: EventTypeRow, data: Partial<EventTypeData>, action: string): Promise<EventTypeRow> {
    return this.uow.run(ctx.scope, async (tx) => {
      const row = await this.eventTypes.update(tx, existing.id, data);
      await tx.audit(ctx.audit, {
        action,
        target: { type: 'event_type', id: existing.name },
        details: { fields: Object.keys(data).sort() },
      });
      return row;
    });
  }
}

/** Whether the stored event type already says what the document says. */
function sameImported(row: EventTypeRow, t: ImportedEventType): boolean {
  return (
    row.description === t.description &&
    row.deprecated === t.deprecated &&
    row.groupName === t.groupName &&
    sameJson([...row.featureFlags].sort(), [...t.featureFlags].sort()) &&
    sameJson(row.schemas ?? null, t.schemas)
  );
}

function fromOpenApiOut(t: ImportedEventType): EventTypeFromOpenApi {
  return {
    name: t.name,
    description: t.description,
    deprecated: t.deprecated,
    featureFlag: t.featureFlags[0] ?? null,
    featureFlags: t.featureFlags.length > 0 ? t.featureFlags : null,
    groupName: t.groupName,
    schemas: t.schemas,
  };
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
