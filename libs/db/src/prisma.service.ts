import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaClient } from './generated/client';

/** `/* hot:<name> *\/` at the start of a raw statement: run it as a named prepared statement. */
const HOT_STATEMENT = /^\s*\/\*\s*hot:([a-z0-9_-]+)\s*\*\//;

/**
 * The name of a prepared statement for the hot path's raw statements (marked with a leading
 * `/* hot:name *\/` comment), undefined for everything else. Named statements are parsed and
 * planned once per connection instead of on every call; only a few fixed texts get one, so
 * each connection keeps a handful of them.
 */
export function hotStatementName(sql: string): string | undefined {
  const known = names.get(sql);
  if (known !== undefined) return known;
  const match = HOT_STATEMENT.exec(sql);
  if (!match) return undefined;
  const name = `hot_${match[1]}_${createHash('sha1').update(sql).digest('hex').slice(0, 10)}`;
  if (names.size < 1_000) names.set(sql, name);
  return name;
}
const names = new Map<string, string>();

/**
 * The one Prisma client of a process. Repositories receive it; services reach the database
 * through TenantUnitOfWork or OperatorDb (@herald/tenancy), never by injecting this
 * (tools/eslint/tenancy-rules.mjs).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    // A connection that cannot be had in time (a host that drops packets, a pool exhausted for
    // long) fails the request, which the API answers 503, instead of making it wait unbounded.
    const pool = { connectionString: config.db.url, max: 20, connectionTimeoutMillis: config.db.connectTimeoutMs };
    super({ adapter: new PrismaPg(pool, { statementNameGenerator: (query) => hotStatementName(query.sql) as string }) });
  }

  /** Fails loudly at boot when PostgreSQL is unreachable (STYLE 12). */
  async assertReachable(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
