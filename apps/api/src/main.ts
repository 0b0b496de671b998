import 'reflect-metadata';
import { installShutdownDeadline, runHeraldProcess } from '@herald/observability';
import { createApiApp } from './bootstrap';

runHeraldProcess('api', async (config, log) => {
  const app = await createApiApp(config);
  installShutdownDeadline(log);
  await app.listen(config.api.port, config.api.host);
  log.info({ url: await app.getUrl() }, 'api listening');
});
