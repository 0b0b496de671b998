import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOperation, Public } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb } from '@herald/tenancy';
import { liveInstances } from '@herald/observability';
import { REDIS, type RedisClient } from '@herald/queue';
import { z } from 'zod';

const status = z.enum(['ok', 'error']);
type Status = z.output<typeof status>;
export const healthReportSchema = z.object({
  status,
  database: status,
  redis: status,
  workers: z.object({ dispatcher: z.number().int(), retention: z.number().int() }),
});
export type HealthReport = z.output<typeof healthReportSchema>;

/**
 * Health as Svix answers it: `GET`/`HEAD /api/v1/health` and `/api/v1/health/ping` are 204
 * with no body while the process serves requests (liveness; the official SDKs call these).
 * Operators' readiness report is `/api/v1/health/ready`: 200 with PostgreSQL and Redis
 * reachable, else 503. Worker counts are informational: a stopped dispatcher does not make
 * the API unready. (Fastify answers HEAD from each GET handler: same status, no body.)
 */
@Controller('api/v1/health')
export class HealthController {
  constructor(
    private readonly operator: OperatorDb,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  @Get()
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Liveness (204, no body), as Svix', tag: 'Health' })
  health(): void {
    // Answering at all is the check.
  }

  @Get('ping')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Liveness (204, no body), as Svix', tag: 'Health' })
  ping(): void {
    // Answering at all is the check.
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis reachable (200), else 503; live worker counts', tag: 'Health', response: healthReportSchema })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.check();
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }

  private async check(): Promise<HealthReport> {
    const prefix = this.config.redis.queuePrefix;
    let workers = { dispatcher: 0, retention: 0 };
    // Redis is probed with the reads of Herald's own keys rather than a PING: on a cluster a PING
    // may reach any node, while these go to the master that holds Herald's slot.
    const [database, redis] = await Promise.all([
      probe(() => this.operator.assertReachable()),
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
    // Bounded so a hung dependency cannot hang the readiness check.
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())]);
    return 'ok';
  } catch {
    return 'error';
  }
}
