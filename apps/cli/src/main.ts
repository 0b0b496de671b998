import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from '@herald/config';
import { ensureDatabase, runMigrations } from '@herald/db';

/**
 * Operator commands: `npm run herald -- <command>`. Each command validates the same config
 * as the services and fails with a non-zero exit code and a message.
 */
const USAGE = `usage: herald <command>
  migrate                      create the database if missing and apply SQL migrations`;

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
    default:
      process.stderr.write(`${USAGE}\n`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
