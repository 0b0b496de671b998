import 'reflect-metadata';
import { loadConfigFromProcess, maskConfig } from '@herald/config';
import { createLogger, installShutdownDeadline, startTracing } from '@herald/observability';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  // First: the SDK must be registered before any code asks for a tracer (off unless OTEL_* ask).
  const tracing = startTracing('herald-api');
  const config = loadConfigFromProcess();
  const log = createLogger('api', config.log.level);
  log.info({ config: maskConfig(config), traces: tracing?.settings ?? 'off' }, 'starting');
  const app = await createApiApp(config);
  installShutdownDeadline(log);
  await app.listen(config.api.port, config.api.host);
  log.info({ url: await app.getUrl() }, 'api listening');
}

main().catch((err: unknown) => {
  // Boot failures (bad config, unreachable PostgreSQL/Redis) stop the process loudly.
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
