import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import type { HeraldConfig } from '@herald/config';
import { FIXED_PLAN_SETTINGS, hotSql } from './hot-sql';
import { newId } from './ids';
import { PrismaService, queryHot } from './prisma.service';

/**
 * queryHot runs a hot statement on the pool when given the process's client, and through the
 * transaction's own connection when given a transaction client (so it commits or rolls back
 * with the rest). Prisma's constructor returns another object than `new` made, which once made
 * every call take Prisma's raw-query path.
 */
describe('queryHot', () => {
  const prisma = new PrismaService({ db: { url: inject('databaseUrl'), connectTimeoutMs: 5_000 } } as HeraldConfig);
  const ids = { a: newId('tnt'), b: newId('tnt') };
  const insert = (id: string) => hotSql<{ id: string }>`/* hot:probe_insert plan=each */ INSERT INTO tenants (id, name) VALUES (${id}, 'queryHot probe') RETURNING id`;
  const count = async (id: string) => (await prisma.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM tenants WHERE id = $1', id))[0]?.n;

  afterAll(async () => {
    await prisma.$executeRawUnsafe('DELETE FROM tenants WHERE id = ANY($1)', [ids.a, ids.b]);
    await prisma.onApplicationShutdown();
  });

  it('runs on the pool directly for the process client', async () => {
    const hot = vi.spyOn(prisma, 'hot');
    const rows = await queryHot(prisma, insert(ids.a));
    expect(hot).toHaveBeenCalledTimes(1);
    hot.mockRestore();
    expect(rows).toEqual([{ id: ids.a }]);
    expect(await count(ids.a)).toBe(1);
  });

  it('runs inside the transaction for a transaction client, and rolls back with it', async () => {
    const hot = vi.spyOn(prisma, 'hot');
    await expect(
      prisma.$transaction(async (tx) => {
        expect(await queryHot(tx, insert(ids.b))).toEqual([{ id: ids.b }]);
        // Seen inside the transaction, before it ends.
        expect((await tx.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM tenants WHERE id = $1', ids.b))[0]?.n).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(hot).not.toHaveBeenCalled();
    hot.mockRestore();
    expect(await count(ids.b)).toBe(0);
  });
});

/**
 * `plan=fixed` statements run on connections of their own, with the settings that make
 * PostgreSQL keep one key-lookup plan (FIXED_PLAN_SETTINGS); every other statement keeps the
 * server's settings, and in a transaction a fixed statement is planned per call like any other.
 */
describe('fixed-plan statements', () => {
  const prisma = new PrismaService({ db: { url: inject('databaseUrl'), connectTimeoutMs: 5_000 } } as HeraldConfig);
  type Settings = { mode: string; seqscan: string; hashjoin: string; jit: string };
  const probe = {
    fixed: () => hotSql<Settings>`/* hot:probe_fixed plan=fixed */ SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS seqscan,
      current_setting('enable_hashjoin') AS hashjoin, current_setting('jit') AS jit WHERE ${1}::int = 1`,
    cached: () => hotSql<Settings>`/* hot:probe_cached */ SELECT current_setting('plan_cache_mode') AS mode, current_setting('enable_seqscan') AS seqscan,
      current_setting('enable_hashjoin') AS hashjoin, current_setting('jit') AS jit WHERE ${1}::int = 1`,
  };

  afterAll(async () => {
    await prisma.onApplicationShutdown();
  });

  it('run with the fixed-plan settings, on every connection of their pool', async () => {
    // Eight at once: the pool opens all four of its connections.
    const results = await Promise.all(Array.from({ length: 8 }, () => prisma.hot(probe.fixed())));
    for (const rows of results) {
      expect(rows).toEqual([{ mode: FIXED_PLAN_SETTINGS['plan_cache_mode'], seqscan: 'off', hashjoin: 'off', jit: 'off' }]);
    }
  });

  it('leave the other statements, and transactions, with the server settings', async () => {
    const [cached] = await prisma.hot(probe.cached());
    expect(cached).toMatchObject({ mode: 'auto', seqscan: 'on', hashjoin: 'on' });
    const [inTx] = await prisma.$transaction((tx) => queryHot(tx, probe.fixed()));
    expect(inTx).toMatchObject({ mode: 'auto', seqscan: 'on', hashjoin: 'on' });
  });
});
