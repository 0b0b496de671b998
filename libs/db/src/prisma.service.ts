import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type ClientBase, type PoolConfig } from 'pg';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaClient, type Prisma } from './generated/client';
import { FIXED_PLAN_SETTINGS, hotStatementName, type HotStatement } from './hot-sql';

/**
 * The process clients themselves, as opposed to the transaction clients Prisma hands to
 * `$transaction` callbacks. `instanceof PrismaService` cannot tell them apart: Prisma's
 * constructor returns another object than the one `new` made, so no client passes it.
 */
const processClients = new WeakSet<object>();

/**
 * The one Prisma client of a process. Repositories receive it; services reach the database
 * through TenantUnitOfWork or OperatorDb (@herald/tenancy), never by injecting this
 * (tools/eslint/tenancy-rules.mjs).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  /** The connection pool Prisma's adapter uses; hot statements run on it directly. */
  private readonly pool: Pool;
  /** Connections for `plan=fixed` statements (FIXED_PLAN_SETTINGS); made when one first runs. */
  private fixedPlanPool: Pool | undefined;
  private readonly config: HeraldConfig;
  private readonly logger = new Logger('Db');

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    // A connection that cannot be had in time (a host that drops packets, a pool exhausted for
    // long) fails the request, which the API answers 503, instead of making it wait unbounded.
    const pool = new Pool({ connectionString: config.db.url, max: 20, connectionTimeoutMillis: config.db.connectTimeoutMs });
    super({ adapter: new PrismaPg(pool, { statementNameGenerator: (query) => hotStatementName(query.sql) as string }) });
    this.pool = pool;
    this.config = config;
    processClients.add(this);
    // An idle connection that breaks (PostgreSQL restarted) is dropped by the pool; without a
    // listener the 'error' event would end the process before Prisma's adapter attaches its own.
    pool.on('error', (err) => this.logger.warn(`idle PostgreSQL connection lost: ${err.message}`));
  }

  /** Runs a hot statement (see hotSql) on the pool: a named prepared statement, rows as pg parses them. */
  async hot<R>(statement: HotStatement<R>): Promise<R[]> {
    const pool = statement.plan === 'fixed' ? (this.fixedPlanPool ??= this.openFixedPlanPool()) : this.pool;
    try {
      const result = await pool.query({ name: statement.name, text: statement.text, values: statement.values });
      return result.rows as R[];
    } catch (err) {
      throw new PostgresQueryError(statement.label, err);
    }
  }

  /**
   * A few connections whose session settings make PostgreSQL keep one key-lookup plan per
   * statement (see FIXED_PLAN_SETTINGS). Set with `set_config` on connect rather than through the
   * startup `options`, which a database URL's own `options` would replace.
   */
  private openFixedPlanPool(): Pool {
    const settings = Object.entries(FIXED_PLAN_SETTINGS);
    const text = `SELECT ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, false)`).join(', ')}`;
    const values = settings.flat();
    const options: AsyncConnectPoolConfig = {
      connectionString: this.config.db.url,
      max: 4,
      connectionTimeoutMillis: this.config.db.connectTimeoutMs,
      // pg-pool awaits this before it hands the connection out; if it fails, the connection is
      // closed and the statement fails, so none runs with the ordinary settings.
      onConnect: async (client) => {
        await client.query(text, values);
      },
    };
    const pool = new Pool(options);
    pool.on('error', (err) => this.logger.warn(`idle PostgreSQL connection lost: ${err.message}`));
    return pool;
  }

  /** Fails loudly at boot when PostgreSQL is unreachable (STYLE 12). */
  async assertReachable(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }

  /**
   * Last, after Nest's destroy hooks (the dispatcher's drain records its attempts there) and
   * after the HTTP server has closed (requests still running when SIGTERM came finish first):
   * an ended pool cannot reconnect, as Prisma alone would.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
    await this.fixedPlanPool?.end();
  }
}

/** pg-pool awaits `onConnect`; @types/pg declares it as returning nothing. */
type AsyncConnectPoolConfig = Omit<PoolConfig, 'onConnect'> & { onConnect: (client: ClientBase) => Promise<void> };

/**
 * A hot statement that failed. It says the error came from PostgreSQL (a refused connection is
 * a bare ECONNREFUSED otherwise, which the API could not tell from any other dependency's) and
 * keeps the driver's SQLSTATE `code` and the driver error as `cause`.
 */
export class PostgresQueryError extends Error {
  override readonly name = 'PostgresQueryError';
  readonly code: string | undefined;

  constructor(statementName: string, cause: unknown) {
    super(`${statementName}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A hot statement on a client or inside an open transaction: on the pool directly when `db` is
 * the process's client, through the transaction's connection otherwise (same text, same name).
 */
export function queryHot<R>(db: PrismaService | Prisma.TransactionClient, statement: HotStatement<R>): Promise<R[]> {
  if (processClients.has(db)) return (db as PrismaService).hot(statement);
  return db.$queryRawUnsafe<R[]>(statement.text, ...statement.values);
}
