import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createLogger, nestLogEntry, PinoNestLogger } from './logger';

function captured(): { lines: () => Record<string, unknown>[]; logger: PinoNestLogger } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = new PinoNestLogger(createLogger('test', 'debug', sink));
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('PinoNestLogger', () => {
  it("logs an error's message, code and stack when given pino fields through Nest's Logger, never [object Object]", () => {
    const { logger, lines } = captured();
    const nest = new Logger('Ctx');
    Logger.overrideLogger(logger);
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    nest.error({ err, requestId: 'r1' }, err.stack);
    nest.error(err);
    nest.error('plain text', 'at somewhere\n  at elsewhere');
    nest.warn({ count: 3 });
    nest.log('hello');
    Logger.overrideLogger(false);
    const [fields, asError, plain, warned, info] = lines();
    expect(JSON.stringify(lines())).not.toContain('[object Object]');
    expect(fields).toMatchObject({ level: 50, context: 'Ctx', requestId: 'r1', msg: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(fields!['err']).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' });
    expect((fields!['err'] as { stack: string }).stack).toContain('logger.spec.ts');
    expect(asError).toMatchObject({ context: 'Ctx', msg: 'connect ECONNREFUSED 127.0.0.1:5432', err: { code: 'ECONNREFUSED' } });
    expect(plain).toMatchObject({ context: 'Ctx', msg: 'plain text', trace: 'at somewhere\n  at elsewhere' });
    expect(warned).toMatchObject({ level: 40, context: 'Ctx', count: 3 });
    expect(info).toMatchObject({ level: 30, context: 'Ctx', msg: 'hello' });
  });

  it('does not take a stack trace for a context', () => {
    expect(nestLogEntry('boom', ['Error: boom\n    at x'], true)).toEqual({ fields: { trace: 'Error: boom\n    at x' }, msg: 'boom' });
  });
});
