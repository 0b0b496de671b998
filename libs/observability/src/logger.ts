import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { activeTracing, traceLogFields } from './tracing';

/**
 * Structured JSON logs, one logger per process, named after the process; to stdout unless a
 * destination is given (tests read what the process logs). Errors go under `err` (pino's
 * serializer keeps their type, message, code and stack). With traces on (the SDK is started
 * before any logger), each line logged inside a span carries its `trace_id` and `span_id`.
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    ...(activeTracing() ? { mixin: traceLogFields } : {}),
    base: { process: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.secret', '*.key'], censor: '***' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Routes Nest's own log calls (`Logger` from @nestjs/common) into pino. Nest passes whatever
 * the caller gave as the message: a string, an Error, or pino-style fields (`{ err, … }`);
 * each becomes a proper pino entry, never `String(object)` ("[object Object]").
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }

  private write(level: Level, message: unknown, params: unknown[], withTrace = false): void {
    const entry = nestLogEntry(message, params, withTrace);
    this.logger[level](entry.fields, entry.msg);
  }
}

/**
 * Nest calls `error(message, stack?, context?)` and `log(message, context?)`; the context, when
 * there is one, is the last string parameter. Exported for its unit test.
 */
export function nestLogEntry(message: unknown, params: unknown[], withTrace: boolean): { fields: Record<string, unknown>; msg: string } {
  const strings = params.filter((p): p is string => typeof p === 'string');
  const last = params[params.length - 1];
  // A context is a name; a stack trace (multi-line) passed without a context is not one.
  const context = typeof last === 'string' && !last.includes('\n') && (params.length > 1 || !withTrace) ? strings.pop() : undefined;
  const rest = withTrace ? strings : [];
  const fields: Record<string, unknown> = context === undefined ? {} : { context };
  if (message instanceof Error) return { fields: { ...fields, err: message }, msg: message.message };
  if (typeof message === 'object' && message !== null) {
    const given = message as Record<string, unknown>;
    const { msg, message: text, ...other } = given;
    const err = other['err'];
    const description = typeof msg === 'string' ? msg : typeof text === 'string' ? text : err instanceof Error ? err.message : (rest.shift() ?? '');
    // A stack passed beside `{ err }` repeats err.stack: keep it only when there is no error.
    if (rest.length > 0 && !(err instanceof Error)) other['trace'] = rest.join('\n');
    return { fields: { ...fields, ...other }, msg: description };
  }
  if (rest.length > 0) fields['trace'] = rest.join('\n');
  return { fields, msg: String(message) };
}
