import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED } from './harness';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/**
 * The bench starts Herald's processes with SHIPPED's Node flags and environment so that it
 * measures what ships: `npm start` and the Docker image must say the same.
 */
describe('the bench runs Herald as it ships', () => {
  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  const dockerfile = read('docker/Dockerfile');
  const compose = read('docker/compose.yaml');
  const env = Object.entries(SHIPPED.env);

  it('npm start sets the same environment and Node flags', () => {
    // The environment goes before `concurrently`, so all three processes inherit it.
    const launcher = /&& ((?:\w+=\S+ )+)concurrently /.exec(start)?.[1]?.trim().split(' ') ?? [];
    expect(launcher.sort()).toEqual(env.map(([name, value]) => `${name}=${value}`).sort());
    expect(start).toContain(`"node ${SHIPPED.apiNodeArgs} dist/apps/api/src/main.js"`);
    expect(start).toContain(`"node ${SHIPPED.dispatcherNodeArgs} dist/apps/dispatcher/src/main.js"`);
  });

  it("the Docker image's runtime stage sets the same environment, and its commands the same flags", () => {
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const envLines = runtime.split('\n').filter((line) => line.startsWith('ENV '));
    for (const [name, value] of env) expect(envLines.join(' '), name).toMatch(new RegExp(`\\b${name}=${value}(\\s|$)`));
    const argv = (args: string, entry: string): string => JSON.stringify(['node', ...args.split(' '), entry]).replaceAll(',', ', ');
    expect(runtime).toContain(`CMD ${argv(SHIPPED.apiNodeArgs, 'dist/apps/api/src/main.js')}`);
    expect(compose).toContain(`command: ${argv(SHIPPED.apiNodeArgs, 'dist/apps/api/src/main.js')}`);
    expect(compose).toContain(`command: ${argv(SHIPPED.dispatcherNodeArgs, 'dist/apps/dispatcher/src/main.js')}`);
  });
});
