import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaService } from '@herald/db';
import { liveInstances } from '@herald/observability';
import { REDIS, type RedisClient } from '@herald/queue';

type Status = 'ok' | 'error';
export interface HealthReport {
  status: Status;
  database: Status;
  redis: Status;
  workers: { dispatcher: number; retention: number };
}

/**
 * Svix answers 204 here; Herald answers 200 with a report (the official SDKs ignore the
 * body) and 503 when PostgreSQL or Redis is unreachable. Worker counts are informational:
 * a stopped dispatcher does not make the API unhealthy.
 */
@Controller('api/v1/health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  // Fastify answers HEAD from this GET handler (same status, no body).
  @Get()
  @Public()
  async get(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.check();
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }

  private async check(): Promise<HealthReport> {
    const prefix = this.config.redis.queuePrefix;
    let workers = { dispatcher: 0, retention: 0 };
    // Redis is probed with the reads of Herald's own keys rather than a PING: on a cluster a PING
    // may reach any node, while these go to the master that holds Herald's slot.
    const [database, redis] = await Promise.all([
      probe(() => this.prisma.$queryRaw`SELECT 1`),
      probe(async () => {
        const [dispatcher, retention] = await Promise.all([liveInstances(this.redis, prefix, 'dispatcher'), liveInstances(this.redis, prefix, 'retention')]);
        workers = { dispatcher, retention };
      }),
    ]);
    return { status: database === 'ok' && redis === 'ok' ? 'ok' : 'error', database, redis, workers: redis === 'ok' ? workers : { dispatcher: 0, retention: 0 } };
  }
}

async function probe(check: () => Promise<unknown>): Promise<Status> {
  try {
    // Bounded so a hung dependency cannot hang the health check.
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    return 'ok';
  } catch {
    return 'error';
  }
}
