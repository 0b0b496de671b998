import { defineConfig } from 'vitest/config';
import base from './vitest.config.mts';

/**
 * `npm run test:scale`: the long end-to-end tests (`*.scale-spec.ts`) — a fleet of replicas
 * restarted one by one, Redis Sentinel and Redis Cluster failed over under load. Each starts
 * many processes, so the files run one after another.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['apps/**/*.scale-spec.ts', 'libs/**/*.scale-spec.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
  },
});
