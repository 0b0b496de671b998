import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigFromProcess, maskConfig } from '@herald/config';
import { PrismaService } from '@herald/db';
import { createLogger, installShutdownDeadline, PinoNestLogger, startTracing } from '@herald/observability';
import { RetentionModule } from './retention.module';

async function main(): Promise<void> {
  // First: the SDK must be registered before any code asks for a tracer (off unless OTEL_* ask).
  const tracing = startTracing('herald-retention');
  const config = loadConfigFromProcess();
  const log = createLogger('retention', config.log.level);
  log.info({ config: maskConfig(config), traces: tracing?.settings ?? 'off' }, 'starting');
  const app = await NestFactory.createApplicationContext(RetentionModule.forRoot(config), { logger: new PinoNestLogger(log) });
  await app.get(PrismaService).assertReachable();
  app.enableShutdownHooks();
  installShutdownDeadline(log);
  await app.init();
  log.info('retention running');
}

main().catch((err: unknown) => {
  // Boot failures (bad config, unreachable PostgreSQL/Redis) stop the process loudly.
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
