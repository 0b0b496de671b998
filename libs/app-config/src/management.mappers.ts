import type { ApplicationRow } from './application.repository';
import type { EndpointRow } from './endpoint.repository';
import type { EventTypeRow } from './event-type.repository';
import type { ApplicationOut, EndpointOut, EventTypeOut } from './management.responses';

export function toApplicationOut(row: ApplicationRow): ApplicationOut {
  return {
    id: row.id,
    uid: row.uid,
    name: row.name,
    throttleRate: row.throttleRate,
    rateLimit: row.throttleRate,
    metadata: stringMap(row.metadata),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toEventTypeOut(row: EventTypeRow, withSchemas: boolean): EventTypeOut {
  const out: EventTypeOut = {
    name: row.name,
    description: row.description,
    archived: row.archived,
    deprecated: row.deprecated,
    // The 1.1.1 spec's single flag, and the svix client's list.
    featureFlag: row.featureFlags[0] ?? null,
    featureFlags: row.featureFlags.length > 0 ? row.featureFlags : null,
    groupName: row.groupName,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (withSchemas) out.schemas = isObject(row.schemas) ? row.schemas : null;
  return out;
}

export function toEndpointOut(row: EndpointRow): EndpointOut {
  const filter = row.filterTypes.length > 0 ? row.filterTypes : null;
  return {
    id: row.id,
    uid: row.uid,
    url: row.url,
    description: row.description,
    version: row.version,
    throttleRate: row.throttleRate,
    rateLimit: row.throttleRate,
    disabled: row.disabled,
    eventTypes: filter,
    filterTypes: filter,
    channels: row.channels.length > 0 ? row.channels : null,
    metadata: stringMap(row.metadata),
    maxInFlight: row.maxInFlight,
    circuit: {
      state: row.circuitState,
      openedAt: row.circuitOpenedAt?.toISOString() ?? null,
      nextProbeAt: row.circuitState === 'closed' ? null : (row.circuitProbeAt?.toISOString() ?? null),
      consecutiveFailures: row.consecutiveFailures,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Metadata columns hold string maps (validated on the way in); anything else reads as empty. */
function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
