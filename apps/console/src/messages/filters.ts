import { localInputToIso } from '../ui/format';

/** The message log's filters as the form holds them (strings, empty = not set). */
export interface MessageFilters {
  eventType: string;
  channel: string;
  /** Delivery status to one endpoint: needs `endpointId` (Svix keeps status per destination). */
  status: '' | '0' | '1' | '2' | '3' | '4';
  endpointId: string;
  /** datetime-local values, local time. */
  after: string;
  before: string;
}

export const NO_FILTERS: MessageFilters = { eventType: '', channel: '', status: '', endpointId: '', after: '', before: '' };

export interface MessageQuery {
  event_types?: string[];
  channel?: string;
  after?: string;
  before?: string;
  status?: Exclude<MessageFilters['status'], ''>;
}

/** The list query the filters ask for; status applies only with an endpoint chosen. */
export function messageQuery(f: MessageFilters): MessageQuery {
  const q: MessageQuery = {};
  if (f.eventType.trim()) q.event_types = [f.eventType.trim()];
  if (f.channel.trim()) q.channel = f.channel.trim();
  const after = localInputToIso(f.after);
  const before = localInputToIso(f.before);
  if (after) q.after = after;
  if (before) q.before = before;
  if (f.endpointId && f.status) q.status = f.status;
  return q;
}

/** Problems a person can fix before asking the API. */
export function filterProblems(f: MessageFilters): string[] {
  const problems: string[] = [];
  const after = localInputToIso(f.after);
  const before = localInputToIso(f.before);
  if (after && before && after > before) problems.push('"From" must be before "To".');
  if (f.status && !f.endpointId) problems.push('Choose an endpoint to filter by delivery status.');
  return problems;
}
