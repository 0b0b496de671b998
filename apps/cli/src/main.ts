import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from '@herald/config';
import { ensureDatabase, runMigrations } from '@herald/db';
import { CliUsageError, createTenant } from './tenant.command';
import { rewrapKeys, runRetention } from './retention.command';

/**
 * Operator commands: `npm run herald -- <command>`. Each command validates the same config
 * as the services and fails with a non-zero exit code and a message.
 */
const USAGE = `usage: herald <command>
  migrate                      create the database if missing and apply SQL migrations
  tenant create --name <name>  create a tenant; prints it and its first API key (shown once) as JSON
  retention run [--tenant <id>]  purge what retention policies say is due, now; prints the counts as JSON
  keys rewrap                  re-wrap every tenant's data key with the active (first) master key; prints counts`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfigFromProcess();
  switch (command) {
    case 'migrate': {
      parseArgs({ args: rest, options: {} });
      await ensureDatabase(config.db.url);
      await runMigrations(config.db.url, { log: (msg) => process.stdout.write(`${msg}\n`) });
      process.stdout.write('migrations applied\n');
      return;
    }
    case 'tenant': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({ args, options: { name: { type: 'string' } } });
      if (sub !== 'create' || values.name === undefined) throw new CliUsageError('expected: tenant create --name <name>');
      process.stdout.write(`${JSON.stringify(await createTenant(config, values.name), null, 2)}\n`);
      return;
    }
    case 'retention': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({ args, options: { tenant: { type: 'string' } } });
      if (sub !== 'run') throw new CliUsageError('expected: retention run [--tenant <id>]');
      const result = await runRetention(config, values.tenant);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.failures.length > 0) process.exitCode = 1;
      return;
    }
    case 'keys': {
      const [sub, ...args] = rest;
      parseArgs({ args, options: {} });
      if (sub !== 'rewrap') throw new CliUsageError('expected: keys rewrap');
      const result = await rewrapKeys(config);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.failures.length > 0) process.exitCode = 1;
      return;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliUsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`herald: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
