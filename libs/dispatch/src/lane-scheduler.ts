import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { tenantScope } from '@herald/tenancy';
import { DeliveryLaneRepository, type ClaimedDelivery, type ClaimRequest, type LaneRef } from '@herald/deliveries';
import { DispatchMetrics } from './dispatch.metrics';
import { DispatchService, type AttemptReport, type SentAttempt } from './dispatch.service';
import { EndpointContextRepository, type EndpointContext } from './endpoint-context.repository';
import { ThrottleRepository } from './throttle.repository';

/** Claim statements in flight at once (each takes a batch for many lanes). */
const CLAIMS_IN_FLIGHT = 2;
/** Due deliveries of a disabled or deleted endpoint skipped per statement. */
const SKIP_BATCH = 1_000;
/** A claim that failed (PostgreSQL away) is tried again after this, doubling to the cap. */
const CLAIM_RETRY_MS = 250;
const CLAIM_RETRY_MAX_MS = 5_000;
/** A lane whose claim the fleet-wide cap cut short asks again this soon (its deliveries are still due). */
const FLEET_CAP_RETRY_MS = 100;
/** A lease outlasts the delivery timeout by this much: time to record the attempt. */
export const LEASE_MARGIN_MS = 5_000;
/**
 * Slot-fulls a lane may hold claimed ahead of its requests while the hold budgets (the
 * process's and its tenant's) have room for that depth in every active lane: a lone busy
 * endpoint then claims ~6 slot-fulls per statement instead of ~1 (each claim is planned by
 * PostgreSQL on every call). With many active lanes it falls to one slot-full, so no lane's
 * buffer crowds another out of claims.
 */
const MAX_BUFFER_DEPTH = 6;
/** After this many failed sends in a row, a lane claims nothing more until the circuit state is recorded. */
const LOCAL_FAILURE_PAUSE_MS = 1_000;

interface Lane extends LaneRef {
  key: string;
  tenant: TenantQueue;
  /** May have due deliveries now. */
  due: boolean;
  /** Bumped by every wake-up: a short claim marks the lane idle only if none came meanwhile. */
  gen: number;
  /** Requests in flight (the endpoint's slots). */
  inFlight: number;
  /** Claimed and waiting for a slot: sent the moment one frees, with no claim in between. */
  buffer: Buffered[];
  /** Requested in claims not yet answered. */
  reserved: number;
  /** Failed sends in a row, known before they are recorded. */
  sendFailures: number;
  context: EndpointContext | null | undefined;
  loading: boolean;
  /** Sends the rate limit granted and not yet used, valid until `grantExpiresAt`. */
  granted: number;
  grantExpiresAt: number;
  throttling: boolean;
  probing: boolean;
  skipping: boolean;
  /** Not claimable before this (circuit open, rate limited), ms epoch. */
  blockedUntil: number;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
}

interface Buffered {
  delivery: ClaimedDelivery;
  /** Latest start (ms epoch) that leaves its lease a timeout and the record's margin. */
  sendBy: number;
}

interface TenantQueue {
  tenantId: string;
  lanes: Lane[];
  cursor: number;
  inFlight: number;
  /** Buffered and reserved deliveries of its lanes. */
  held: number;
  /** Slot-fulls each of its lanes may buffer ahead (1..MAX_BUFFER_DEPTH), set every claim round. */
  depth: number;
}

/**
 * The dispatcher's scheduler (docs/decisions/0010-dispatcher-v2.md). Each endpoint is a lane;
 * each tenant a queue of lanes. Slots (HERALD_DISPATCHER_CONCURRENCY) are requests in flight.
 * The scheduler claims in rounds, going round the tenants with due lanes one quantum each and
 * each tenant's lanes in turn, so a tenant with a million due deliveries and one with ten both
 * progress from the first round; it starts requests from small per-lane buffers the same way.
 * Bounds, all enforced before anything is claimed: per endpoint its in-flight cap (fleet-wide,
 * counted in PostgreSQL) and its circuit breaker; per tenant a share of the slots; per process
 * the slots and the payload bytes held. Work beyond its share stays in PostgreSQL: it holds no
 * slot, no connection and no memory here.
 *
 * A slot is freed as soon as the HTTP exchange ends; recording the attempt (a group-committed
 * statement) happens after, so slots turn over at the endpoint's pace, not the database's.
 */
@Injectable()
export class LaneScheduler {
  private readonly logger = new Logger('LaneScheduler');
  private readonly lanes = new Map<string, Lane>();
  private readonly tenants = new Map<string, TenantQueue>();
  private tenantCursor = 0;
  private inFlight = 0;
  /** Buffered + reserved deliveries, all lanes. */
  private held = 0;
  /** Payload bytes of deliveries buffered, in flight or being recorded. */
  private bytesHeld = 0;
  /** Byte budgets handed to claims not yet answered. */
  private bytesReserved = 0;
  private claimsInFlight = 0;
  private pumpScheduled = false;
  private claimRetryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly running = new Set<Promise<void>>();
  private readonly slots: number;
  private readonly tenantSlots: number;
  private readonly leaseMs: number;
  private readonly failureThreshold: number;

  constructor(
    private readonly repository: DeliveryLaneRepository,
    private readonly endpoints: EndpointContextRepository,
    private readonly dispatch: DispatchService,
    private readonly throttle: ThrottleRepository,
    private readonly metrics: DispatchMetrics,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    this.slots = config.delivery.concurrency;
    this.tenantSlots = Math.max(1, Math.floor(config.delivery.tenantShare * this.slots));
    // A lane waiting on a timer (a retry hours away) must not keep its endpoint's parsed signing
    // keys and decrypted headers beyond the data key's lifetime in memory: it reloads when due.
    endpoints.onSweep(() => this.dropStaleContexts());
    this.failureThreshold = config.delivery.circuit.failureThreshold;
    // A buffered delivery waits at most one timeout for its slot (later, it is handed back
    // unsent), then has a timeout of its own; the margin covers recording it. A dead
    // dispatcher's deliveries are due again when it ends.
    this.leaseMs = 2 * config.delivery.timeoutMs + LEASE_MARGIN_MS;
    metrics.bindScheduler(() => this.snapshot());
  }

  /** Lanes that (may) have due deliveries now. */
  wake(lanes: Iterable<LaneRef>): void {
    if (this.stopping) return;
    for (const ref of lanes) {
      const lane = this.lane(ref);
      lane.due = true;
      lane.gen += 1;
    }
    this.schedulePump();
  }

  /** A lane's earliest pending delivery comes due at `at`: wake it then. */
  wakeAt(ref: LaneRef, at: Date): void {
    if (this.stopping) return;
    const when = at.getTime();
    if (when <= Date.now()) {
      this.wake([ref]);
      return;
    }
    this.setTimer(this.lane(ref), when);
  }

  /** Drops the endpoint contexts of lanes with nothing buffered or running; they load again when due. */
  dropStaleContexts(): void {
    for (const lane of this.lanes.values()) {
      if (!lane.context || lane.inFlight > 0 || lane.buffer.length > 0 || lane.reserved > 0 || lane.loading || lane.throttling || lane.probing || lane.skipping) continue;
      if (this.endpoints.isStale(lane.context)) lane.context = undefined;
    }
  }

  /** Whether a lane holds an endpoint context of the tenant (tests, diagnostics). */
  holdsContextOf(tenantId: string): boolean {
    for (const lane of this.lanes.values()) if (lane.tenantId === tenantId && lane.context) return true;
    return false;
  }

  /** Forgets lanes with nothing to do (bounded memory with many endpoints). */
  forgetIdle(): void {
    for (const lane of this.lanes.values()) {
      if (lane.due || lane.inFlight > 0 || lane.buffer.length > 0 || lane.reserved > 0 || lane.timer || lane.loading || lane.throttling || lane.probing || lane.skipping) continue;
      this.lanes.delete(lane.key);
      const tenant = lane.tenant;
      tenant.lanes = tenant.lanes.filter((l) => l !== lane);
      if (tenant.lanes.length === 0 && tenant.inFlight === 0 && tenant.held === 0) this.tenants.delete(tenant.tenantId);
    }
  }

  /** Stops claiming, hands buffered deliveries back, waits (bounded) for attempts in flight to be recorded. */
  async stop(boundMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    const unsent: ClaimedDelivery[] = [];
    for (const lane of this.lanes.values()) {
      clearTimeout(lane.timer);
      unsent.push(...this.takeBuffer(lane));
    }
    await this.giveBack(unsent);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), boundMs);
    });
    while (this.running.size > 0) {
      if ((await Promise.race([Promise.allSettled([...this.running]).then(() => 'done' as const), deadline])) === 'timeout') {
        this.logger.warn(`${this.running.size} attempts still in flight at shutdown; their leases expire and they go again`);
        break;
      }
    }
    clearTimeout(timer);
  }

  private lane(ref: LaneRef): Lane {
    const key = `${ref.tenantId}/${ref.endpointId}`;
    let lane = this.lanes.get(key);
    if (lane) return lane;
    let tenant = this.tenants.get(ref.tenantId);
    if (!tenant) {
      tenant = { tenantId: ref.tenantId, lanes: [], cursor: 0, inFlight: 0, held: 0, depth: 1 };
      this.tenants.set(ref.tenantId, tenant);
    }
    lane = {
      key,
      tenantId: ref.tenantId,
      endpointId: ref.endpointId,
      tenant,
      due: false,
      gen: 0,
      inFlight: 0,
      buffer: [],
      reserved: 0,
      sendFailures: 0,
      context: undefined,
      loading: false,
      granted: 0,
      grantExpiresAt: 0,
      throttling: false,
      probing: false,
      skipping: false,
      blockedUntil: 0,
      timer: undefined,
      timerAt: 0,
    };
    this.lanes.set(key, lane);
    tenant.lanes.push(lane);
    return lane;
  }

  private setTimer(lane: Lane, at: number): void {
    if (lane.timer && lane.timerAt <= at) return;
    clearTimeout(lane.timer);
    lane.timerAt = at;
    lane.timer = setTimeout(
      () => {
        lane.timer = undefined;
        lane.due = true;
        lane.gen += 1;
        this.schedulePump();
      },
      Math.max(1, at - Date.now()),
    );
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopping) return;
    this.pumpScheduled = true;
    // Wake-ups and completions of the same tick share one round.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.startBuffered();
      this.pump();
    });
  }

  /** Starts buffered deliveries into free slots, one per tenant per pass, round-robin. */
  private startBuffered(): void {
    if (this.stopping) return;
    const tenants = [...this.tenants.values()];
    const now = Date.now();
    const expired: { lane: Lane; deliveries: ClaimedDelivery[] }[] = [];
    for (let progress = true; progress && this.inFlight < this.slots; ) {
      progress = false;
      for (const tenant of tenants) {
        if (this.inFlight >= this.slots) break;
        if (tenant.inFlight >= this.tenantSlots) continue;
        const n = tenant.lanes.length;
        for (let i = 0; i < n; i++) {
          const lane = tenant.lanes[(tenant.cursor + i) % n] as Lane;
          if (lane.buffer.length === 0 || !lane.context || lane.inFlight >= lane.context.maxInFlight || lane.blockedUntil > now) continue;
          const stale = this.takeExpired(lane, now);
          if (stale.length > 0) expired.push({ lane, deliveries: stale });
          if (lane.buffer.length === 0) continue;
          tenant.cursor = (tenant.cursor + i + 1) % n;
          this.start(lane, this.unbuffer(lane), false);
          progress = true;
          break;
        }
      }
    }
    for (const { lane, deliveries } of expired) void this.handBack(lane, deliveries);
  }

  /**
   * Takes the lane's buffered deliveries that waited so long for a slot that their lease would
   * end before the attempt is recorded (an endpoint that turned slow). They are in claim order,
   * so the expired ones are at the front.
   */
  private takeExpired(lane: Lane, now: number): ClaimedDelivery[] {
    let k = 0;
    while (k < lane.buffer.length && (lane.buffer[k] as Buffered).sendBy < now) k += 1;
    if (k === 0) return [];
    const taken = lane.buffer.splice(0, k).map((b) => b.delivery);
    lane.tenant.held -= k;
    this.held -= k;
    for (const d of taken) this.bytesHeld -= d.payloadSize;
    return taken;
  }

  /** Hands unsent deliveries back and claims the lane again once they are claimable. */
  private async handBack(lane: Lane, deliveries: ClaimedDelivery[]): Promise<void> {
    await this.giveBack(deliveries);
    this.wake([lane]);
  }

  /** One claim round: decide what to claim from which lanes, and claim it. */
  private pump(): void {
    if (this.stopping || this.claimsInFlight >= CLAIMS_IN_FLIGHT || this.retryTimer) return;
    // Deliveries held here (in flight, buffered, being claimed) at most twice the slots.
    let free = 2 * this.slots - this.inFlight - this.held;
    const bytesFree = this.config.delivery.maxInFlightBytes - this.bytesHeld - this.bytesReserved;
    if (free <= 0 || bytesFree <= 0) return;

    const now = Date.now();
    const order = [...this.tenants.values()];
    if (order.length === 0) return;
    const start = this.tenantCursor % order.length;
    const tenants = [...order.slice(start), ...order.slice(0, start)].filter((t) => t.lanes.some((l) => l.due));
    if (tenants.length === 0) return;
    this.tenantCursor = (start + 1) % order.length;
    this.setDepths(tenants);

    const requests = new Map<Lane, number>();
    const requested = new Map<TenantQueue, number>();
    // Round-robin over tenants, one lane and one quantum each per pass, until the room is taken
    // or nobody can take more: no tenant waits behind another's backlog.
    const quantum = Math.max(1, Math.floor(free / tenants.length));
    for (let progress = true; progress && free > 0; ) {
      progress = false;
      for (const tenant of tenants) {
        if (free <= 0) break;
        const room = 2 * this.tenantSlots - tenant.inFlight - tenant.held - (requested.get(tenant) ?? 0);
        if (room <= 0) continue;
        const lane = this.nextLane(tenant, requests, now);
        if (!lane) continue;
        const n = Math.min(this.laneRoom(lane, now) - (requests.get(lane) ?? 0), room, free, quantum);
        if (n <= 0) continue;
        requests.set(lane, (requests.get(lane) ?? 0) + n);
        requested.set(tenant, (requested.get(tenant) ?? 0) + n);
        free -= n;
        progress = true;
      }
    }
    if (requests.size === 0) return;
    void this.claim(requests, bytesFree);
  }

  /**
   * How many slot-fulls each tenant's lanes may buffer: as many as the hold budgets give every
   * lane that is due or busy, counting its slots too, up to MAX_BUFFER_DEPTH. Two budgets: the
   * process's (twice the slots) over all such lanes, and the tenant's (twice its share of the
   * slots) over its own. Without the tenant's, a busy tenant's first lanes in a round filled
   * its whole budget with deep buffers while its other lanes stood empty: in the bench's drain
   * (one tenant, ten endpoints) half the lanes had nothing to send at any moment, and 50 of the
   * 100 requests the endpoints allowed were in flight.
   */
  private setDepths(tenants: TenantQueue[]): void {
    const depth = (budget: number, slotsWanted: number): number => Math.max(1, Math.min(MAX_BUFFER_DEPTH, Math.floor(budget / Math.max(1, slotsWanted)) - 1));
    const wanted = new Map<TenantQueue, number>();
    let slotsWanted = 0;
    for (const tenant of tenants) {
      let own = 0;
      for (const lane of tenant.lanes) {
        // A lane whose endpoint is still loading counts the operator's default cap, not one slot.
        if (lane.due || lane.inFlight > 0 || lane.buffer.length > 0) own += lane.context?.maxInFlight ?? this.config.delivery.endpointMaxInFlight;
      }
      wanted.set(tenant, own);
      slotsWanted += own;
    }
    const processDepth = depth(2 * this.slots, slotsWanted);
    for (const tenant of tenants) tenant.depth = Math.min(processDepth, depth(2 * this.tenantSlots, wanted.get(tenant) ?? 0));
  }

  /** The tenant's next lane (in turn) that can take a delivery now; starts what a lane needs first. */
  private nextLane(tenant: TenantQueue, requests: Map<Lane, number>, now: number): Lane | undefined {
    const n = tenant.lanes.length;
    for (let i = 0; i < n; i++) {
      const lane = tenant.lanes[(tenant.cursor + i) % n] as Lane;
      if (!lane.due || !this.ready(lane, now)) continue;
      if (this.laneRoom(lane, now) - (requests.get(lane) ?? 0) <= 0) continue;
      tenant.cursor = (tenant.cursor + i + 1) % n;
      return lane;
    }
    return undefined;
  }

  /**
   * Whether a due lane may be claimed from now. Loads its endpoint, skips it when disabled or
   * gone, handles its circuit breaker (a due probe) and its rate limit (asks for sends).
   */
  private ready(lane: Lane, now: number): boolean {
    if (lane.context === undefined || (lane.context && this.endpoints.isStale(lane.context))) {
      if (!lane.loading) this.load(lane);
      if (lane.context === undefined) return false;
    }
    const context = lane.context;
    if (!context || context.disabled) {
      if (!lane.skipping && lane.inFlight === 0) void this.skip(lane);
      return false;
    }
    if (lane.blockedUntil > now || lane.probing || lane.skipping) return false;
    if (context.circuit.state !== 'closed') {
      const probeAt = context.circuit.probeAt?.getTime() ?? 0;
      if (probeAt > now) {
        lane.blockedUntil = probeAt;
        this.setTimer(lane, probeAt);
        return false;
      }
      if (lane.inFlight === 0) void this.probe(lane);
      return false;
    }
    if (context.throttleRate) {
      if (lane.granted > 0 && lane.grantExpiresAt > now) return true;
      if (!lane.throttling) void this.askThrottle(lane, context.throttleRate);
      return false;
    }
    return true;
  }

  /**
   * How many more deliveries the lane may take: its slots free, plus its tenant's `depth` slot-fulls
   * of buffer. A lane with more than half its buffer waiting claims nothing yet: refilling in
   * bulk keeps claims to one statement per many deliveries, and the buffer covers the claim's
   * round trip.
   */
  private laneRoom(lane: Lane, now: number): number {
    const context = lane.context;
    if (!context) return 0;
    const ahead = lane.tenant.depth * context.maxInFlight;
    if (lane.buffer.length + lane.reserved > ahead / 2) return 0;
    let room = context.maxInFlight + ahead - lane.inFlight - lane.buffer.length - lane.reserved;
    // A rate-limited lane claims only what it may send now (no buffer beyond the grant).
    if (context.throttleRate) room = Math.min(room, lane.grantExpiresAt > now ? lane.granted - lane.buffer.length - lane.reserved : 0);
    return room;
  }

  private load(lane: Lane): void {
    lane.loading = true;
    this.endpoints
      .get(tenantScope(lane.tenantId), lane.endpointId)
      .then(
        (context) => {
          lane.context = context;
        },
        (err: unknown) => {
          // A deleted tenant (its key is gone) or a database error: try again on the next round.
          this.logger.warn(`endpoint ${lane.endpointId} of tenant ${lane.tenantId} not loaded: ${err instanceof Error ? err.message : String(err)}`);
          lane.context = undefined;
          this.setTimer(lane, Date.now() + 1_000);
        },
      )
      .finally(() => {
        lane.loading = false;
        this.schedulePump();
      });
  }

  private async skip(lane: Lane): Promise<void> {
    lane.skipping = true;
    const gen = lane.gen;
    try {
      await this.giveBack(this.takeBuffer(lane));
      const skipped = await this.dispatch.skip(tenantScope(lane.tenantId), lane.endpointId, SKIP_BATCH);
      if (skipped < SKIP_BATCH && lane.gen === gen) lane.due = false;
    } catch (err) {
      this.logger.warn(`skipping deliveries of disabled endpoint ${lane.endpointId} failed: ${err instanceof Error ? err.message : String(err)}`);
      this.setTimer(lane, Date.now() + 1_000);
    } finally {
      lane.skipping = false;
      // The endpoint may come back (re-enabled): read it again next time.
      this.endpoints.evict(tenantScope(lane.tenantId), lane.endpointId);
      lane.context = undefined;
      this.schedulePump();
    }
  }

  /** One probe of an open circuit, fleet-wide: the dispatcher that wins it sends one delivery. */
  private async probe(lane: Lane): Promise<void> {
    lane.probing = true;
    try {
      await this.giveBack(this.takeBuffer(lane));
      if (!(await this.repository.acquireProbe(lane, this.leaseMs))) {
        // Another dispatcher probes, or the circuit moved on: look again in a moment.
        lane.context = undefined;
        this.endpoints.evict(tenantScope(lane.tenantId), lane.endpointId);
        this.setTimer(lane, Date.now() + 1_000);
        lane.probing = false;
        return;
      }
      const cap = lane.context?.maxInFlight ?? 1;
      const { claimed } = await this.repository.claim(this.leaseMs, Number.MAX_SAFE_INTEGER, [{ tenantId: lane.tenantId, endpointId: lane.endpointId, count: 1, cap }]);
      const delivery = claimed[0];
      if (!delivery) {
        await this.repository.releaseProbe(lane);
        lane.due = false;
        lane.probing = false;
        return;
      }
      this.metrics.probes.inc();
      this.bytesHeld += delivery.payloadSize;
      // lane.probing stays set until the probe's outcome is recorded (see start()).
      this.start(lane, delivery, true);
    } catch (err) {
      lane.probing = false;
      this.logger.warn(`probe of endpoint ${lane.endpointId} failed to start: ${err instanceof Error ? err.message : String(err)}`);
      this.setTimer(lane, Date.now() + 1_000);
    } finally {
      this.schedulePump();
    }
  }

  private async askThrottle(lane: Lane, rate: number): Promise<void> {
    lane.throttling = true;
    try {
      const want = Math.max(1, (lane.context?.maxInFlight ?? 1) - lane.inFlight);
      const grant = await this.throttle.take(lane.endpointId, rate, want);
      lane.granted = grant.granted;
      lane.grantExpiresAt = Date.now() + 1_000;
      if (grant.granted === 0) {
        this.metrics.outcomes.inc({ outcome: 'throttled' });
        lane.blockedUntil = Date.now() + grant.waitMs;
        this.setTimer(lane, lane.blockedUntil);
      }
    } finally {
      lane.throttling = false;
      this.schedulePump();
    }
  }

  private async claim(requests: Map<Lane, number>, bytesFree: number): Promise<void> {
    this.claimsInFlight += 1;
    this.bytesReserved += bytesFree;
    const asked = [...requests].map(([lane, count]) => ({ lane, count, gen: lane.gen }));
    for (const { lane, count } of asked) {
      lane.reserved += count;
      lane.tenant.held += count;
      this.held += count;
    }
    const release = (): void => {
      this.bytesReserved -= bytesFree;
      for (const { lane, count } of asked) {
        lane.reserved -= count;
        lane.tenant.held -= count;
        this.held -= count;
      }
    };
    const sendBy = Date.now() + this.leaseMs - this.config.delivery.timeoutMs - LEASE_MARGIN_MS;
    const claimRequests: ClaimRequest[] = asked.map(({ lane, count }) => ({ tenantId: lane.tenantId, endpointId: lane.endpointId, count, cap: 2 * (lane.context?.maxInFlight ?? count) }));
    try {
      const { claimed, nextDue, available, capped } = await this.repository.claim(this.leaseMs, bytesFree, claimRequests);
      release();
      this.claimRetryMs = 0;
      if (this.stopping) {
        // Shutting down: hand them back at once rather than start them.
        await this.repository.releaseLeases(claimed);
        return;
      }
      const got = new Map<Lane, number>();
      for (const delivery of claimed) {
        const lane = this.lanes.get(`${delivery.tenantId}/${delivery.endpointId}`);
        if (!lane) continue;
        got.set(lane, (got.get(lane) ?? 0) + 1);
        if (lane.context?.throttleRate) lane.granted = Math.max(0, lane.granted - 1);
        lane.buffer.push({ delivery, sendBy });
        lane.tenant.held += 1;
        this.held += 1;
        this.bytesHeld += delivery.payloadSize;
      }
      this.metrics.claims.inc();
      this.metrics.claimed.inc(claimed.length);
      for (const { lane, count, gen } of asked) {
        // The lane gave less than asked: nothing more is due now (or it is locked by another
        // dispatcher, which sends it). Idle until a wake-up or the next due time. (Cut short
        // by the byte budget instead, it stays due.) Cut short by other dispatchers' leases
        // (the fleet-wide cap), it is still due: ask again shortly, not at the next sweep.
        const had = available.get(lane.endpointId) ?? 0;
        if (had >= count || (got.get(lane) ?? 0) < had) continue;
        if (lane.gen === gen) lane.due = false;
        if (capped.has(lane.endpointId)) this.setTimer(lane, Date.now() + FLEET_CAP_RETRY_MS);
        const next = nextDue.get(lane.endpointId);
        if (next) this.setTimer(lane, next.getTime());
      }
    } catch (err) {
      release();
      this.claimRetryMs = Math.min(Math.max(CLAIM_RETRY_MS, this.claimRetryMs * 2), CLAIM_RETRY_MAX_MS);
      this.logger.warn(`claim failed, again in ${this.claimRetryMs} ms: ${err instanceof Error ? err.message : String(err)}`);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.schedulePump();
      }, this.claimRetryMs);
    } finally {
      this.claimsInFlight -= 1;
      this.schedulePump();
    }
  }

  private unbuffer(lane: Lane): ClaimedDelivery {
    const { delivery } = lane.buffer.shift() as Buffered;
    lane.tenant.held -= 1;
    this.held -= 1;
    return delivery;
  }

  /** Empties a lane's buffer (circuit opened, endpoint disabled, shutdown). */
  private takeBuffer(lane: Lane): ClaimedDelivery[] {
    const taken = lane.buffer.splice(0).map((b) => b.delivery);
    lane.tenant.held -= taken.length;
    this.held -= taken.length;
    for (const d of taken) this.bytesHeld -= d.payloadSize;
    return taken;
  }

  /** Claimed, never sent: due again at once for whoever may send them (no attempt used). */
  private async giveBack(deliveries: ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      await this.repository.releaseLeases(deliveries);
    } catch (err) {
      // Their leases end on their own; they are due again then.
      this.logger.warn(`could not hand back ${deliveries.length} claimed deliveries: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private start(lane: Lane, delivery: ClaimedDelivery, probe: boolean): void {
    const context = lane.context;
    this.inFlight += 1;
    lane.inFlight += 1;
    lane.tenant.inFlight += 1;
    let slotFreed = false;
    const freeSlot = (): void => {
      if (slotFreed) return;
      slotFreed = true;
      this.inFlight -= 1;
      lane.inFlight -= 1;
      lane.tenant.inFlight -= 1;
      this.schedulePump();
    };
    const run = (async () => {
      try {
        if (!context) throw new Error(`endpoint ${lane.endpointId} context missing`);
        const sent = await this.dispatch.send(delivery, context);
        this.noteSend(lane, sent);
        freeSlot();
        const report = await this.dispatch.record(sent, () => this.stopping);
        await this.applyReport(lane, context, report);
      } catch (err) {
        // Not recorded: the lease runs out and the delivery goes again (at least once).
        this.logger.error({ err, msg: `attempt of ${delivery.id} failed: ${err instanceof Error ? err.message : String(err)}` });
      } finally {
        freeSlot();
        this.bytesHeld -= delivery.payloadSize;
        if (probe) lane.probing = false;
        this.schedulePump();
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Failed sends in a row pause the lane before the circuit's state is even recorded. */
  private noteSend(lane: Lane, sent: SentAttempt): void {
    if (sent.result.ok) {
      lane.sendFailures = 0;
      return;
    }
    lane.sendFailures += 1;
    if (lane.sendFailures >= this.failureThreshold) {
      lane.blockedUntil = Math.max(lane.blockedUntil, Date.now() + LOCAL_FAILURE_PAUSE_MS);
      this.setTimer(lane, lane.blockedUntil);
    }
  }

  private async applyReport(lane: Lane, context: EndpointContext, report: AttemptReport): Promise<void> {
    // This process scheduled the retry: it wakes the lane for it (others find it by sweeping).
    if (report.retryAt) this.setTimer(lane, report.retryAt.getTime());
    if (report.disabled) {
      // Read the endpoint again before the next claim: it was just disabled.
      lane.context = undefined;
      await this.giveBack(this.takeBuffer(lane));
    }
    const t = report.transition;
    if (!t) return;
    // This process learns its circuit's new state at once; others within the context TTL.
    context.circuit = { state: t.to, probeAt: t.probeAt };
    if (t.to === 'open') {
      if (t.probeAt) {
        lane.blockedUntil = t.probeAt.getTime();
        this.setTimer(lane, lane.blockedUntil);
      }
      // Parked: what was claimed for it goes back, unsent, no attempt used.
      await this.giveBack(this.takeBuffer(lane));
    } else if (t.to === 'closed') {
      lane.blockedUntil = 0;
      lane.sendFailures = 0;
      lane.due = true;
      lane.gen += 1;
    }
  }

  private snapshot(): { inFlight: number; bytesInFlight: number; lanes: number; dueLanes: number; tenants: number; openCircuits: number } {
    let dueLanes = 0;
    let openCircuits = 0;
    for (const lane of this.lanes.values()) {
      if (lane.due) dueLanes += 1;
      if (lane.context && lane.context.circuit.state !== 'closed') openCircuits += 1;
    }
    return { inFlight: this.inFlight, bytesInFlight: this.bytesHeld, lanes: this.lanes.size, dueLanes, tenants: this.tenants.size, openCircuits };
  }
}
