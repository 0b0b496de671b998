import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { API_METRICS_REGISTRY, Public } from '@herald/api-core';

/**
 * Prometheus exposition of the API process's registry (Node defaults, ingest counts, rate
 * limits). Open like the health check; served at `/metrics` (the usual scrape path) and
 * under `/api/v1` with the rest of the API.
 */
@Controller()
export class MetricsController {
  constructor(@Inject(API_METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get(['metrics', 'api/v1/metrics'])
  @Public()
  async get(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.registry.metrics();
    await reply.header('content-type', this.registry.contentType).send(text);
  }
}
