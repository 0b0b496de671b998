import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, type Db, type TenantScope } from '@herald/tenancy';
import { GroupCommit, hotSql, PrismaService, queryHot } from '@herald/db';
import type { CircuitState, DeliveryStatus, TriggerType } from './delivery-status';
import type { LaneRef } from './delivery-wakeups';
import { insertOperationalEvents, type OperationalEventRow } from './operational-event.rows';

/** How many due deliveries a dispatcher asks of one lane, and the lane's in-flight bound. */
export interface ClaimRequest extends LaneRef {
  count: number;
  /** The endpoint's bound on requests in flight, fleet-wide. */
  cap: number;
}

/** A claimed delivery with what sending it needs of its message. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  appId: string;
  messageId: string;
  endpointId: string;
  attemptCount: number;
  triggerType: TriggerType;
  /** NULL once the payload was erased. */
  payloadEnc: Uint8Array | null;
  payloadSize: number;
  /** A raw payload's Content-Type; null: the JSON Herald serialised (application/json). */
  rawContentType: string | null;
  eventId: string | null;
  eventType: string;
  messageCreatedAt: Date;
  /** The ingest's W3C traceparent (null: tracing was off): the attempt's span continues that trace. */
  traceParent: string | null;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  /** Per requested lane (endpoint id): when its next delivery not claimable now comes due (null: none pending). */
  nextDue: Map<string, Date | null>;
  /**
   * Per requested lane: how many due deliveries it had to give (at most what was asked) before
   * the byte budget cut the claim. Fewer than asked means the lane has nothing more due now.
   */
  available: Map<string, number>;
  /**
   * Lanes (endpoint ids) whose claim other dispatchers' leases cut short (the fleet-wide cap):
   * they still have due deliveries, which free up as those dispatchers finish them.
   */
  capped: Set<string>;
}

/** A lane with pending deliveries and when the earliest comes due. */
export interface DiscoveredLane extends LaneRef {
  nextDueAt: Date;
}

export interface AttemptRecord {
  id: string;
  tenantId: string;
  appId: string;
  messageId: string;
  endpointId: string;
  deliveryId: string;
  url: string;
  /** Svix MessageStatus: 0 success, 2 fail. */
  status: number;
  responseStatus: number;
  /** NULL when the response body was empty (never sealed). */
  responseEnc: Buffer | null;
  durationMs: number;
  triggerType: TriggerType;
  error: string | null;
  createdAt: Date;
}

export interface DeliveryChange {
  id: string;
  tenantId: string;
  status: DeliveryStatus;
  attemptIncrement: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
}

/** One attempt's effect on its endpoint's failure streak and circuit breaker. */
export interface EndpointAttemptResult {
  endpointId: string;
  tenantId: string;
  ok: boolean;
  at: Date;
}

export interface DispatchWrite {
  attempt?: AttemptRecord;
  delivery: DeliveryChange;
  endpoint?: EndpointAttemptResult;
  /** Operational webhooks this outcome causes, committed with it. */
  events?: OperationalEventRow[];
}

/** A circuit that changed state in a write. */
export interface CircuitTransition extends LaneRef {
  appId: string;
  from: CircuitState;
  to: CircuitState;
  consecutiveFailures: number;
  probeAt: Date | null;
}

interface ClaimRow {
  kind: 'd' | 'l';
  id: string | null;
  tenant_id: string;
  app_id: string | null;
  message_id: string | null;
  endpoint_id: string;
  attempt_count: number | null;
  trigger_type: number | null;
  payload_enc: Uint8Array | null;
  /** The payload came in an earlier row of the same message (`payload_enc` is NULL here). */
  payload_repeat: boolean | null;
  payload_size: number | null;
  raw_content_type: string | null;
  event_id: string | null;
  event_type: string | null;
  message_created_at: Date | null;
  trace_parent: string | null;
  next_due_at: Date | null;
  available: number | null;
  capped: boolean | null;
}

/**
 * Writes of concurrent attempts share one statement (group commit; two batches at most in
 * flight). Nobody waits on a record to send the next delivery, so a batch lingers 15 ms for
 * company: at ~2,000 attempts/s that is one statement for ~40 attempts instead of ~10 with
 * 5 ms (each statement has a cost of its own besides its rows: the round trip, the commit's flush).
 */
const WRITE_BATCH = { maxSize: 500, maxInFlight: 2, lingerMs: 15 };

/**
 * The deliveries table as the dispatcher uses it: endpoint lanes of due deliveries, claimed
 * with a lease (`FOR UPDATE SKIP LOCKED`, so dispatchers never take the same row), and the
 * outcome of each attempt written back with its attempt row and its endpoint's breaker state.
 * PostgreSQL is the outbox: nothing here depends on Redis.
 *
 * Cross-tenant by design (the dispatcher works for the whole installation): every row carries
 * its tenant id, and every statement matches on it.
 *
 * The claim and the record run with one plan per connection (`plan=fixed`, ADR 0017). So that a
 * plan made on an empty database is still right on a large one, each table is reached through
 * its key alone (`id`, or the row's `ctid` within the claim that locked it): the tenant and app
 * matches are written `IS NOT DISTINCT FROM`, the same test on these NOT NULL columns, but one no
 * index serves, so no index led by `tenant_id` competes with the key.
 */
@Injectable()
export class DeliveryLaneRepository {
  /** This process's name on the deliveries it claims (`lease_owner`). */
  readonly owner = `dsp_${randomUUID()}`;
  private readonly writer = new GroupCommit<DispatchWrite, CircuitTransition | null>((writes) => this.writeMany(writes), WRITE_BATCH);

  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(
    operator: OperatorDb,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    this.db = operator.client;
  }

  /**
   * Claims up to `count` due deliveries of each lane, oldest due first, for `leaseMs` (a HOT
   * update of two unindexed columns), within the lane's fleet-wide cap (deliveries leased by
   * other dispatchers count) and, over all
   * lanes in request order, `maxBytes` of payload (at least one delivery). Returns the
   * claimed deliveries with their payloads, and each lane's next due time.
   */
  async claim(leaseMs: number, maxBytes: number, requests: ClaimRequest[]): Promise<ClaimResult> {
    const owner = this.owner;
    if (requests.length === 0) return { claimed: [], nextDue: new Map(), available: new Map(), capped: new Set() };
    const rows = await this.db.hot(hotSql<ClaimRow>`/* hot:claim plan=fixed */
      WITH req AS (
        SELECT r.tenant_id, r.endpoint_id, r.ord, r.n AS want,
               -- Other dispatchers' live leases count against the cap. They are the lane's oldest due
               -- rows (claims go in due order), so looking at the front is enough and stays cheap.
               -- A dispatcher alone on the lane may claim beyond the cap (a deeper buffer; it
               -- still sends at most its in-flight cap), and then holds the others off.
               (SELECT CASE WHEN o.leased = 0 THEN r.n ELSE LEAST(r.n, GREATEST(0, r.cap - o.leased)) END FROM (
                 SELECT count(*) FILTER (WHERE front.lease_until > now() AND front.lease_owner <> ${owner}) AS leased FROM (
                   SELECT x.lease_owner, x.lease_until FROM deliveries x
                   WHERE x.endpoint_id = r.endpoint_id AND x.status = 'pending' AND x.next_attempt_at <= now()
                   ORDER BY x.next_attempt_at LIMIT 4 * r.cap
                 ) front) o)::int AS n
        FROM unnest(${requests.map((r) => r.tenantId)}::text[], ${requests.map((r) => r.endpointId)}::text[],
                    ${requests.map((r) => r.count)}::int[], ${requests.map((r) => r.cap)}::int[])
          WITH ORDINALITY AS r(tenant_id, endpoint_id, n, cap, ord)
      ), picked AS (
        SELECT c.row_at, c.id, c.tenant_id, c.app_id, c.message_id, c.next_attempt_at, r.ord
        FROM req r CROSS JOIN LATERAL (
          SELECT d.ctid AS row_at, d.id, d.tenant_id, d.app_id, d.message_id, d.next_attempt_at
          FROM deliveries d
          WHERE d.endpoint_id = r.endpoint_id AND d.status = 'pending' AND d.next_attempt_at <= now() AND d.tenant_id IS NOT DISTINCT FROM r.tenant_id
            AND (d.lease_until IS NULL OR d.lease_until <= now())
          ORDER BY d.next_attempt_at
          LIMIT r.n
          FOR UPDATE OF d SKIP LOCKED
        ) c
      ), sized AS (
        SELECT p.row_at, p.id, p.tenant_id, m.payload_size, sum(m.payload_size) OVER (ORDER BY p.ord, p.next_attempt_at, p.id) AS upto
        FROM picked p JOIN messages m ON m.id = p.message_id AND m.tenant_id IS NOT DISTINCT FROM p.tenant_id AND m.app_id IS NOT DISTINCT FROM p.app_id
      ), claimed AS (
        UPDATE deliveries d
        SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
        FROM sized s
        WHERE d.ctid = s.row_at AND d.id = s.id AND d.tenant_id IS NOT DISTINCT FROM s.tenant_id AND (s.upto - s.payload_size < ${maxBytes} OR s.upto = s.payload_size)
        RETURNING d.id, d.tenant_id, d.app_id, d.message_id, d.endpoint_id, d.attempt_count, d.trigger_type
      )
      -- A fan-out's payload crosses once per claim: its message's other rows carry none
      -- (payload_repeat), so a message to ten endpoints is not encoded, sent and decoded ten times.
      SELECT 'd' AS kind, c.id, c.tenant_id, c.app_id, c.message_id, c.endpoint_id, c.attempt_count, c.trigger_type,
             CASE WHEN row_number() OVER (PARTITION BY c.message_id) = 1 THEN m.payload_enc END AS payload_enc,
             row_number() OVER (PARTITION BY c.message_id) > 1 AS payload_repeat,
             m.payload_size, m.raw_content_type, m.event_id, m.event_type, m.created_at AS message_created_at, m.trace_parent, NULL::timestamptz AS next_due_at,
             NULL::int AS available, NULL::boolean AS capped
      FROM claimed c JOIN messages m ON m.id = c.message_id AND m.tenant_id IS NOT DISTINCT FROM c.tenant_id AND m.app_id IS NOT DISTINCT FROM c.app_id
      UNION ALL
      SELECT 'l', NULL, r.tenant_id, NULL, NULL, r.endpoint_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             (SELECT x.next_attempt_at FROM deliveries x
              WHERE x.endpoint_id = r.endpoint_id AND x.status = 'pending' AND x.next_attempt_at > now()
              ORDER BY x.next_attempt_at LIMIT 1),
             (SELECT count(*) FROM picked p WHERE p.ord = r.ord)::int,
             r.n < r.want
      FROM req r`);
    const claimed: ClaimedDelivery[] = [];
    const nextDue = new Map<string, Date | null>();
    const available = new Map<string, number>();
    const capped = new Set<string>();
    // A message's deliveries in one claim (a fan-out) share one payload buffer: one copy in
    // memory however many endpoints it goes to (the dispatcher opens it once per message). The
    // row that carries it may come after the message's other rows.
    const payloads = new Map<string, Uint8Array | null>();
    for (const r of rows) if (r.kind === 'd' && !r.payload_repeat) payloads.set(r.message_id as string, r.payload_enc);
    for (const r of rows) {
      if (r.kind === 'l') {
        nextDue.set(r.endpoint_id, r.next_due_at);
        available.set(r.endpoint_id, r.available ?? 0);
        if (r.capped) capped.add(r.endpoint_id);
        continue;
      }
      claimed.push({
        id: r.id as string,
        tenantId: r.tenant_id,
        appId: r.app_id as string,
        messageId: r.message_id as string,
        endpointId: r.endpoint_id,
        attemptCount: r.attempt_count ?? 0,
        triggerType: (r.trigger_type ?? 0) as TriggerType,
        payloadEnc: payloads.get(r.message_id as string) ?? null,
        payloadSize: r.payload_size ?? 0,
        rawContentType: r.raw_content_type,
        eventId: r.event_id,
        eventType: r.event_type ?? '',
        messageCreatedAt: r.message_created_at as Date,
        traceParent: r.trace_parent,
      });
    }
    return { claimed, nextDue, available, capped };
  }

  /**
   * Lanes with pending deliveries, by endpoint id after `after`, with their earliest due time:
   * a loose index scan (one index probe per lane, however deep its backlog), so a sweep costs
   * the number of lanes, not of deliveries.
   */
  async discoverLanes(after: string, limit: number): Promise<DiscoveredLane[]> {
    const rows = await this.db.hot(hotSql<{ endpoint_id: string; tenant_id: string; next_attempt_at: Date }>`/* hot:lanes */
      WITH RECURSIVE lanes AS (
        (SELECT d.endpoint_id, d.tenant_id, d.next_attempt_at FROM deliveries d
         WHERE d.status = 'pending' AND d.endpoint_id > ${after}
         ORDER BY d.endpoint_id, d.next_attempt_at LIMIT 1)
        UNION ALL
        SELECT n.endpoint_id, n.tenant_id, n.next_attempt_at FROM lanes l CROSS JOIN LATERAL (
          SELECT d.endpoint_id, d.tenant_id, d.next_attempt_at FROM deliveries d
          WHERE d.status = 'pending' AND d.endpoint_id > l.endpoint_id
          ORDER BY d.endpoint_id, d.next_attempt_at LIMIT 1
        ) n
      )
      SELECT endpoint_id, tenant_id, next_attempt_at FROM lanes LIMIT ${limit}`);
    return rows.map((r) => ({ endpointId: r.endpoint_id, tenantId: r.tenant_id, nextDueAt: r.next_attempt_at }));
  }

  /**
   * Marks up to `limit` due deliveries of a lane whose endpoint is disabled or gone as
   * skipped (visible, resendable, never sent). Returns how many.
   */
  async skipDue(lane: LaneRef, limit: number): Promise<number> {
    return this.db.$executeRaw`
      UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL, trigger_type = 0, updated_at = now()
      WHERE id IN (
        SELECT id FROM deliveries
        WHERE endpoint_id = ${lane.endpointId} AND tenant_id = ${lane.tenantId} AND status = 'pending' AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until <= now())
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      AND tenant_id = ${lane.tenantId}`;
  }

  /**
   * Takes the one probe of an open circuit (or of a half-open one whose prober vanished):
   * true for the one dispatcher that gets it; the circuit is half-open until `leaseMs`.
   */
  async acquireProbe(lane: LaneRef, leaseMs: number): Promise<boolean> {
    const changed = await this.db.$executeRaw`
      UPDATE endpoints SET circuit_state = 'half-open', circuit_probe_at = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE id = ${lane.endpointId} AND tenant_id = ${lane.tenantId}
        AND circuit_state IN ('open', 'half-open') AND circuit_probe_at <= now()`;
    return changed > 0;
  }

  /** Gives back a probe that found nothing to send: the next due delivery probes at once. */
  async releaseProbe(lane: LaneRef): Promise<void> {
    await this.db.$executeRaw`
      UPDATE endpoints SET circuit_state = 'open', circuit_probe_at = now()
      WHERE id = ${lane.endpointId} AND tenant_id = ${lane.tenantId} AND circuit_state = 'half-open'`;
  }

  /** Claims this dispatcher holds but never started (shutdown): due again at once, for anyone. */
  async releaseLeases(deliveries: { id: string; tenantId: string }[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const owner = this.owner;
    return this.db.$executeRaw`
      UPDATE deliveries d SET lease_owner = NULL, lease_until = NULL, updated_at = now()
      FROM unnest(${deliveries.map((d) => d.id)}::text[], ${deliveries.map((d) => d.tenantId)}::text[]) AS r(id, tenant_id)
      WHERE d.id = r.id AND d.tenant_id = r.tenant_id AND d.lease_owner = ${owner} AND d.status = 'pending'`;
  }

  /**
   * Records an attempt's outcome: the attempt row, the delivery's new state (its lease ends),
   * the endpoint's failure streak and circuit, and the operational events it causes — durable
   * when this resolves. Concurrent writes share one statement. Returns the endpoint's circuit
   * transition, if this write's batch changed it (reported to one write of that endpoint).
   */
  write(scope: TenantScope, write: DispatchWrite): Promise<CircuitTransition | null> {
    if (write.delivery.tenantId !== scope.tenantId) throw new Error('delivery write for another tenant');
    return this.writer.submit(write);
  }

  private async writeMany(writes: DispatchWrite[]): Promise<(CircuitTransition | null)[]> {
    const events = writes.flatMap((w) => w.events ?? []);
    if (events.length === 0) {
      const transitions = await this.writeOutcomes(this.db, writes);
      return this.assignTransitions(writes, transitions);
    }
    // Operational events commit with the outcome that caused them: none is lost, none is sent for an outcome that was not recorded.
    const transitions = await this.db.$transaction(async (tx) => {
      const found = await this.writeOutcomes(tx, writes);
      await insertOperationalEvents(tx, events);
      return found;
    });
    return this.assignTransitions(writes, transitions);
  }

  /** Each transition goes to the last write of its endpoint in the batch (one notice per change). */
  private assignTransitions(writes: DispatchWrite[], transitions: CircuitTransition[]): (CircuitTransition | null)[] {
    const byEndpoint = new Map(transitions.map((t) => [`${t.tenantId}/${t.endpointId}`, t]));
    const lastIndex = new Map<string, number>();
    writes.forEach((w, i) => {
      if (w.endpoint) lastIndex.set(`${w.endpoint.tenantId}/${w.endpoint.endpointId}`, i);
    });
    return writes.map((w, i) => {
      if (!w.endpoint) return null;
      const key = `${w.endpoint.tenantId}/${w.endpoint.endpointId}`;
      return lastIndex.get(key) === i ? (byEndpoint.get(key) ?? null) : null;
    });
  }

  /** Waits for every write submitted so far (shutdown). */
  async drain(): Promise<void> {
    await this.writer.drain();
  }

  private async writeOutcomes(db: Db, writes: DispatchWrite[]): Promise<CircuitTransition[]> {
    const attempts = writes.flatMap((w) => (w.attempt ? [w.attempt] : []));
    // One change per delivery per statement: later writes win, increments add up.
    const deliveries = new Map<string, DeliveryChange>();
    for (const { delivery } of writes) {
      const prior = deliveries.get(delivery.id);
      deliveries.set(delivery.id, prior ? { ...delivery, attemptIncrement: prior.attemptIncrement + delivery.attemptIncrement, lastAttemptAt: delivery.lastAttemptAt ?? prior.lastAttemptAt } : delivery);
    }
    const streaks = endpointStreaks(writes);
    // Sorted ids: concurrent batches take row locks in the same order (no deadlocks).
    const d = [...deliveries.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const e = [...streaks.values()].sort((a, b) => (a.endpointId < b.endpointId ? -1 : 1));
    const iso = (t: Date | null): string | null => (t ? t.toISOString() : null);
    const { failureThreshold, probeMinSeconds, probeMaxSeconds } = this.config.delivery.circuit;

    // One statement, one round trip, atomic. A delivery already 'success' stays so (a late
    // duplicate's failure must not reopen it); a delivery another dispatcher claimed meanwhile
    // (its lease expired under us) keeps that claim.
    const rows = await queryHot(db, hotSql<{ id: string; tenant_id: string; app_id: string; from_state: CircuitState; to_state: CircuitState; failures: number; probe_at: Date | null }>`/* hot:record plan=fixed */
      WITH new_attempts AS (
        INSERT INTO attempts (id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status,
                              response_enc, duration_ms, trigger_type, error, created_at)
        SELECT a.id, a.tenant_id, a.app_id, a.message_id, a.endpoint_id, a.delivery_id, a.url, a.status, a.response_status,
               decode(a.response_b64, 'base64'), a.duration_ms, a.trigger_type, a.error, a.created_at
        FROM unnest(${attempts.map((a) => a.id)}::text[], ${attempts.map((a) => a.tenantId)}::text[], ${attempts.map((a) => a.appId)}::text[],
                    ${attempts.map((a) => a.messageId)}::text[], ${attempts.map((a) => a.endpointId)}::text[], ${attempts.map((a) => a.deliveryId)}::text[],
                    ${attempts.map((a) => a.url)}::text[], ${attempts.map((a) => a.status)}::int[], ${attempts.map((a) => a.responseStatus)}::int[],
                    ${attempts.map((a) => a.responseEnc?.toString('base64') ?? null)}::text[], ${attempts.map((a) => a.durationMs)}::int[],
                    ${attempts.map((a) => a.triggerType)}::int[], ${attempts.map((a) => a.error)}::text[], ${attempts.map((a) => a.createdAt.toISOString())}::timestamptz[])
          AS a(id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status, response_b64, duration_ms, trigger_type, error, created_at)
        RETURNING 1
      ), changed_deliveries AS (
        UPDATE deliveries AS d SET
          status = CASE WHEN d.status = 'success' THEN d.status ELSE u.status END,
          attempt_count = d.attempt_count + u.inc,
          next_attempt_at = CASE WHEN d.status = 'success' THEN d.next_attempt_at ELSE u.next_at END,
          last_attempt_at = GREATEST(d.last_attempt_at, u.last_at),
          lease_owner = NULL,
          lease_until = NULL,
          trigger_type = 0,
          updated_at = now()
        FROM unnest(${d.map((c) => c.id)}::text[], ${d.map((c) => c.tenantId)}::text[], ${d.map((c) => c.status)}::text[],
                    ${d.map((c) => c.attemptIncrement)}::int[], ${d.map((c) => iso(c.nextAttemptAt))}::timestamptz[], ${d.map((c) => iso(c.lastAttemptAt))}::timestamptz[])
          AS u(id, tenant_id, status, inc, next_at, last_at)
        WHERE d.id = u.id AND d.tenant_id IS NOT DISTINCT FROM u.tenant_id AND (d.lease_owner IS NULL OR d.lease_owner = ${this.owner})
        RETURNING 1
      ), streaks AS (
        SELECT s.*, e.circuit_state AS from_state, e.failing_since AS old_failing_since,
               CASE WHEN s.succeeded THEN s.fails_after ELSE e.consecutive_failures + s.fails_after END AS failures
        FROM unnest(${e.map((s) => s.endpointId)}::text[], ${e.map((s) => s.tenantId)}::text[], ${e.map((s) => s.succeeded)}::boolean[],
                    ${e.map((s) => s.failsAfter)}::int[], ${e.map((s) => iso(s.firstFailAfter))}::timestamptz[])
          AS s(id, tenant_id, succeeded, fails_after, first_fail)
        JOIN endpoints e ON e.id = s.id AND e.tenant_id IS NOT DISTINCT FROM s.tenant_id
        -- Successes on a healthy endpoint change nothing: its row is neither locked nor written
        -- (a batch racing a concurrent one that fails reads as if it came first).
        WHERE NOT (s.fails_after = 0 AND e.consecutive_failures = 0 AND e.circuit_state = 'closed' AND e.failing_since IS NULL)
        -- Concurrent batches for one endpoint add up instead of overwriting each other.
        FOR UPDATE OF e
      ), next AS (
        SELECT s.*,
               CASE WHEN s.fails_after = 0 THEN 'closed'
                    WHEN s.from_state = 'half-open' THEN 'open'
                    WHEN s.from_state = 'closed' AND s.failures >= ${failureThreshold} THEN 'open'
                    ELSE s.from_state END AS to_state,
               CASE WHEN s.fails_after = 0 THEN NULL
                    WHEN s.succeeded THEN s.first_fail
                    ELSE COALESCE(s.old_failing_since, s.first_fail) END AS failing_since
        FROM streaks s
      ), changed_endpoints AS (
        UPDATE endpoints AS e SET
          consecutive_failures = n.failures,
          failing_since = n.failing_since,
          circuit_state = n.to_state,
          circuit_opened_at = CASE WHEN n.to_state = 'closed' THEN NULL WHEN n.from_state = 'closed' THEN now() ELSE e.circuit_opened_at END,
          circuit_failed_probes = CASE WHEN n.to_state = 'closed' THEN 0
                                       WHEN n.from_state = 'half-open' THEN e.circuit_failed_probes + 1
                                       ELSE e.circuit_failed_probes END,
          circuit_probe_at = CASE WHEN n.to_state = 'closed' THEN NULL
                                  WHEN n.from_state <> 'open' AND n.to_state = 'open' THEN now() + make_interval(secs => LEAST(
                                    ${probeMinSeconds}::float8 * power(2, LEAST(CASE WHEN n.from_state = 'half-open' THEN e.circuit_failed_probes + 1 ELSE 0 END, 30)),
                                    ${probeMaxSeconds}::float8))
                                  ELSE e.circuit_probe_at END
        FROM next n
        WHERE e.id = n.id AND e.tenant_id IS NOT DISTINCT FROM n.tenant_id
          AND (e.consecutive_failures <> n.failures OR e.circuit_state <> n.to_state OR e.failing_since IS DISTINCT FROM n.failing_since)
        RETURNING e.id, e.tenant_id, e.app_id, n.from_state, e.circuit_state AS to_state, e.consecutive_failures AS failures, e.circuit_probe_at AS probe_at
      )
      -- new_attempts and changed_deliveries run to completion whether or not they are read.
      SELECT * FROM changed_endpoints`);
    return rows
      .filter((r) => r.from_state !== r.to_state)
      .map((r) => ({ tenantId: r.tenant_id, endpointId: r.id, appId: r.app_id, from: r.from_state, to: r.to_state, consecutiveFailures: r.failures, probeAt: r.probe_at }));
  }
}

interface EndpointStreak {
  endpointId: string;
  tenantId: string;
  /** Some attempt of the batch succeeded. */
  succeeded: boolean;
  /** Failures after the batch's last success (all of them without one). */
  failsAfter: number;
  /** The first of those failures. */
  firstFailAfter: Date | null;
}

/** What a batch of attempts, in order, does to each endpoint's run of failures. */
export function endpointStreaks(writes: DispatchWrite[]): Map<string, EndpointStreak> {
  const streaks = new Map<string, EndpointStreak>();
  for (const { endpoint } of writes) {
    if (!endpoint) continue;
    const key = `${endpoint.tenantId}/${endpoint.endpointId}`;
    const s = streaks.get(key) ?? { endpointId: endpoint.endpointId, tenantId: endpoint.tenantId, succeeded: false, failsAfter: 0, firstFailAfter: null };
    if (endpoint.ok) {
      s.succeeded = true;
      s.failsAfter = 0;
      s.firstFailAfter = null;
    } else {
      s.failsAfter += 1;
      s.firstFailAfter ??= endpoint.at;
    }
    streaks.set(key, s);
  }
  return streaks;
}
