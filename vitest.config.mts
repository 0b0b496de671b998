import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// One alias per lib, read from tsconfig.base.json so the two never disagree.
const tsconfig = JSON.parse(readFileSync(resolve(import.meta.dirname, "tsconfig.base.json"), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const alias = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, resolve(import.meta.dirname, target as string)]),
);

export default defineConfig({
  // SWC emits the decorator metadata NestJS's dependency injection reads.
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } })],
  resolve: { alias },
  test: {
    globals: false,
    environment: 'node',
    include: ['apps/**/*.spec.ts', 'apps/**/*.int-spec.ts', 'libs/**/*.spec.ts', 'libs/**/*.int-spec.ts', 'bench/**/*.spec.ts', 'bench/**/*.int-spec.ts', 'scripts/**/*.spec.ts', 'deploy/**/*.int-spec.ts', 'apps/console/src/**/*.spec.tsx'],
    globalSetup: ['libs/testing/src/global-setup.ts'],
    env: { TZ: 'UTC', NODE_ENV: 'test' },
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './tools/vitest/summary-reporter.mts'],
  },
});
