import { readFileSync } from 'node:fs';
import path from 'node:path';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

// The migrated database (built by node-pg-migrate from prisma/migrations) must match
// prisma/schema.prisma: same tables, columns, types, nullability and indexes. Indexes that
// Prisma cannot express (partial ones) are listed here on purpose, with their reason.
const SQL_ONLY_INDEXES = new Set([
  'messages_payload_expiry_idx', // partial: payloads not yet erased
  'deliveries_lane_due_idx', // partial: due deliveries per endpoint lane (claims, lane discovery)
  'applications_operational_key', // partial unique: one operational application per tenant
  'endpoints_failing_since_idx', // partial: endpoint health, failing endpoints only
  'idempotency_records_resource_idx', // partial: kept responses that created a resource (erasure finds them)
  'background_tasks_running_idx', // partial: running background tasks (worker claims)
  'endpoint_headers_name_ci_key', // expression (lower(name)): header names unique whatever their case
]);

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: string;
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}

const SCALAR_TO_PG: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};
const NATIVE_TO_PG: Record<string, string> = { Timestamptz: 'timestamp with time zone', Text: 'text' };

function expectedType(field: DmmfField): string {
  const base = field.nativeType ? (NATIVE_TO_PG[field.nativeType[0]] ?? field.nativeType[0]) : SCALAR_TO_PG[field.type];
  if (!base) throw new Error(`no mapping for ${field.type}`);
  return field.isList ? `${base}[]` : base;
}

describe('schema.prisma matches the migrated database', () => {
  const client = new Client({ connectionString: inject('databaseUrl') });
  const schema = readFileSync(path.resolve(__dirname, '../../../prisma/schema.prisma'), 'utf8');
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))) as {
    datamodel: { models: DmmfModel[]; indexes: DmmfIndex[] };
  };
  const models = dmmf.datamodel.models;
  const tableOf = (model: string): string => {
    const m = models.find((x) => x.name === model);
    return m?.dbName ?? model;
  };
  const columnOf = (model: string, field: string): string => {
    const f = models.find((x) => x.name === model)?.fields.find((x) => x.name === field);
    return f?.dbName ?? field;
  };

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('has the same tables', async () => {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'pgmigrations'`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(models.map((m) => m.dbName ?? m.name).sort());
  });

  it('has the same columns, types and nullability', async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string; type: string; not_null: boolean }>(`
      SELECT c.relname AS table_name, a.attname AS column_name,
             format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'pgmigrations'`);
    const actual = rows.map((r) => `${r.table_name}.${r.column_name} ${r.type.replace('timestamp(3) with time zone', 'timestamp with time zone')} ${r.not_null ? 'NOT NULL' : 'NULL'}`).sort();
    const expected = models
      .flatMap((m) =>
        m.fields
          .filter((f) => f.kind !== 'object')
          .map((f) => `${m.dbName ?? m.name}.${f.dbName ?? f.name} ${expectedType(f)} ${f.isRequired || f.isList ? 'NOT NULL' : 'NULL'}`),
      )
      .sort();
    expect(actual).toEqual(expected);
  });

  it('has the same indexes (plus the documented SQL-only ones)', async () => {
    const { rows } = await client.query<{ indexname: string; tablename: string; indexdef: string }>(
      `SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'pgmigrations'`,
    );
    const describeIndex = (table: string, unique: boolean, columns: string[]): string => `${table} ${unique ? 'UNIQUE ' : ''}(${columns.join(', ')})`;
    const actual = rows
      .filter((r) => !SQL_ONLY_INDEXES.has(r.indexname))
      .map((r) => {
        const columns = /\((.*)\)/.exec(r.indexdef)?.[1]?.split(', ') ?? [];
        return describeIndex(r.tablename, r.indexdef.startsWith('CREATE UNIQUE'), columns);
      })
      .sort();
    const expected = dmmf.datamodel.indexes
      .map((i) => describeIndex(tableOf(i.model), i.type !== 'normal', i.fields.map((f) => columnOf(i.model, f.name))))
      .sort();
    expect(actual).toEqual(expected);
    // The SQL-only indexes are really there.
    for (const name of SQL_ONLY_INDEXES) expect(rows.map((r) => r.indexname)).toContain(name);
  });
});
