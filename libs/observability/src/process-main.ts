import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { loadConfigFromProcess, maskConfig, type HeraldConfig } from '@herald/config';
import { createLogger, PinoNestLogger } from './logger';
import { installShutdownDeadline } from './shutdown';
import { startTracing } from './tracing';

export type HeraldProcessName = 'api' | 'dispatcher' | 'retention';

/**
 * The start of every Herald process: tracing first (the SDK must be registered before any code
 * asks for a tracer), then the configuration, the logger and the masked startup line, then
 * `start`. A boot failure (bad configuration, PostgreSQL or Redis unreachable) stops the process
 * loudly with exit code 1.
 */
export function runHeraldProcess(name: HeraldProcessName, start: (config: HeraldConfig, log: Logger) => Promise<void>): void {
  const boot = async (): Promise<void> => {
    const tracing = startTracing(`herald-${name}`);
    const config = loadConfigFromProcess();
    const log = createLogger(name, config.log.level);
    log.info({ config: maskConfig(config), traces: tracing?.settings ?? 'off' }, 'starting');
    await start(config, log);
  };
  boot().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
}

/**
 * A worker process (dispatcher, retention): its Nest application context, a readiness check
 * before init (PostgreSQL reachable), shutdown hooks with a deadline.
 */
export function bootstrapWorker(name: Exclude<HeraldProcessName, 'api'>, moduleFor: (config: HeraldConfig) => DynamicModule, assertReady: (app: INestApplicationContext) => Promise<void>): void {
  runHeraldProcess(name, async (config, log) => {
    const app = await NestFactory.createApplicationContext(moduleFor(config), { logger: new PinoNestLogger(log) });
    await assertReady(app);
    app.enableShutdownHooks();
    installShutdownDeadline(log);
    await app.init();
    log.info(`${name} running`);
  });
}
