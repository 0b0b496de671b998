import 'reflect-metadata';
import { loadConfigFromProcess, maskConfig } from '@herald/config';
import { createLogger, installShutdownDeadline } from '@herald/observability';
import { createApiApp } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const log = createLogger('api', config.log.level);
  log.info({ config: maskConfig(config) }, 'starting');
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
