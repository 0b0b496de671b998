import type { Logger } from 'pino';

/**
 * Nest's shutdown hooks stop intake and drain in-flight work; this bounds how long that may
 * take so a stuck request or job cannot keep a stopping process alive forever.
 */
export function installShutdownDeadline(log: Logger, deadlineMs = 30_000): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      setTimeout(() => {
        log.error({ deadlineMs }, 'shutdown deadline passed, exiting');
        process.exit(1);
      }, deadlineMs).unref();
    });
  }
}
