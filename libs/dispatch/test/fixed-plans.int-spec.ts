import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, escapeLiteral } from 'pg';
import { DeliveryLaneRepository, type DispatchWrite } from '@herald/deliveries';
import { FIXED_PLAN_SETTINGS, newId, type HotStatement } from '@herald/db';
import { tenantScope } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { startIdleDispatchHarness, type DispatchHarness } from './harness';

/**
 * The dispatcher's claim and record keep one plan per connection (`plan=fixed`, ADR 0017), made
 * the first time each runs: on a fresh installation, while the tables are empty. That plan must
 * be the one a large table needs, every table reached through its key. On an empty database,
 * PostgreSQL rates every index alike, so a match on `tenant_id` alone once chose
 * `deliveries_tenant_created_idx` (all of the tenant's deliveries walked for each row;
 * dropped since) and a sequential scan of `messages`.
 */
describe('the fixed plans of the claim and the record', () => {
  let h: DispatchHarness;
  const captured = new Map<string, HotStatement<unknown>>();

  beforeAll(async () => {
    // The harness's database is new: nothing but one tenant's rows below is in it.
    h = await startIdleDispatchHarness();
    const hot = h.prisma.hot.bind(h.prisma);
    vi.spyOn(h.prisma, 'hot').mockImplementation((statement) => {
      if (statement.plan === 'fixed') captured.set(statement.label, statement);
      return hot(statement);
    });
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url: 'http://127.0.0.1:9/plans' });
    await h.insertMessage(scope, app.id, [endpoint.id], { n: 1 }, { wake: false });
    const repo = h.app.get(DeliveryLaneRepository);
    const { claimed } = await repo.claim(30_000, 1 << 20, [{ tenantId: scope.tenantId, endpointId: endpoint.id, count: 1, cap: 10 }]);
    const d = claimed[0];
    if (!d) throw new Error('nothing claimed');
    const at = new Date();
    const write: DispatchWrite = {
      attempt: { id: newId('atmpt', at), tenantId: d.tenantId, appId: d.appId, messageId: d.messageId, endpointId: d.endpointId, deliveryId: d.id, url: 'http://127.0.0.1:9/plans', status: 2, responseStatus: 500, responseEnc: null, durationMs: 1, triggerType: 0, error: null, createdAt: at },
      delivery: { id: d.id, tenantId: d.tenantId, status: 'pending', attemptIncrement: 1, nextAttemptAt: new Date(at.getTime() + 60_000), lastAttemptAt: at },
      // A failure: the endpoint's streak changes, so every part of the record statement runs.
      endpoint: { endpointId: d.endpointId, tenantId: d.tenantId, ok: false, at },
    };
    await repo.write(tenantScope(scope.tenantId), write);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h?.close();
  });

  /** The generic plan PostgreSQL keeps for the statement on a fixed-plan connection, as EXPLAIN's JSON tree. */
  async function genericPlan(statement: HotStatement<unknown>): Promise<PlanNode> {
    const client = new Client({ connectionString: h.config.db.url });
    await client.connect();
    try {
      for (const [name, value] of Object.entries(FIXED_PLAN_SETTINGS)) await client.query('SELECT set_config($1, $2, false)', [name, value]);
      await client.query(`PREPARE fixed_plan_probe AS ${statement.text}`);
      const args = statement.values.map(sqlLiteral).join(', ');
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) EXECUTE fixed_plan_probe(${args})`);
      const plan = rows[0]?.['QUERY PLAN'][0].Plan;
      if (!plan) throw new Error('no plan');
      return plan;
    } finally {
      await client.end();
    }
  }

  // Each table through its key: deliveries by id, by the claimed row's ctid, or by the lane index
  // (endpoint, due time) that orders a lane; messages and endpoints by id.
  const allowedIndexes: Record<string, string[]> = {
    deliveries: ['deliveries_pkey', 'deliveries_lane_due_idx'],
    messages: ['messages_pkey'],
    endpoints: ['endpoints_pkey'],
  };

  it.each(['claim', 'record'])('%s: made on an empty database, every scan is a key lookup', async (label) => {
    const statement = captured.get(label);
    expect(statement, `${label} ran as a plan=fixed statement`).toBeDefined();
    const nodes = flatten(await genericPlan(statement as HotStatement<unknown>));
    const kinds = new Set(nodes.map((n) => n['Node Type']));
    for (const banned of ['Seq Scan', 'Bitmap Heap Scan', 'Hash Join', 'Merge Join']) expect(kinds, banned).not.toContain(banned);
    const scans = nodes.filter((n) => n['Relation Name'] !== undefined && n['Node Type'] !== 'ModifyTable');
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) {
      const table = scan['Relation Name'] as string;
      if (scan['Node Type'] === 'Tid Scan') {
        expect(table).toBe('deliveries');
        continue;
      }
      expect(['Index Scan', 'Index Only Scan'], `${table}: ${scan['Node Type']}`).toContain(scan['Node Type']);
      expect(allowedIndexes[table] ?? [], `${table} through ${scan['Index Name']}`).toContain(scan['Index Name']);
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

/** A statement parameter as an SQL literal (EXECUTE takes no bind parameters inside EXPLAIN). */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return escapeLiteral(`{${value.map(arrayElement).join(',')}}`);
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  return escapeLiteral(String(value));
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return `"${String(value instanceof Date ? value.toISOString() : value).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
