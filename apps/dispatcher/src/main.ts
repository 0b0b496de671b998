import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigFromProcess, maskConfig } from '@herald/config';
import { PrismaService } from '@herald/db';
import { createLogger, installShutdownDeadline, PinoNestLogger, startTracing } from '@herald/observability';
import { DispatcherModule } from './dispatcher.module';

async function main(): Promise<void> {
  // First: the SDK must be registered before any code asks for a tracer (off unless OTEL_* ask).
  const tracing = startTracing('herald-dispatcher');
  const config = loadConfigFromProcess();
  const log = createLogger('dispatcher', config.log.level);
  log.info({ config: maskConfig(config), traces: tracing?.settings ?? 'off' }, 'starting');
  const app = await NestFactory.createApplicationContext(DispatcherModule.forRoot(config), { logger: new PinoNestLogger(log) });
  await app.get(PrismaService).assertReachable();
  app.enableShutdownHooks();
  installShutdownDeadline(log);
  await app.init();
  log.info('dispatcher running');
}

main().catch((err: unknown) => {
  // Boot failures (bad config, unreachable PostgreSQL/Redis) stop the process loudly.
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
