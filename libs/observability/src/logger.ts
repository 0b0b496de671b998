import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import { activeTracing, traceLogFields } from './tracing';

/**
 * Structured JSON logs, one logger per process, named after the process. With traces on (the
 * SDK is started before any logger), each line logged inside a span carries its `trace_id` and
 * `span_id`; with traces off nothing is added or computed.
 */
export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    ...(activeTracing() ? { mixin: traceLogFields } : {}),
    base: { process: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.secret', '*.key'], censor: '***' },
  });
}

/** Routes Nest's own log calls into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
