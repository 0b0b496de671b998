import type { HeraldConfig } from '@herald/config';
import { wakeChannel, type LaneRef } from '@herald/deliveries';
import { createRedis } from '@herald/queue';

/** Records the lane wake-ups the API publishes for the dispatchers (this config's prefix). */
export interface WakeupRecorder {
  lanes: LaneRef[];
  /** Resolves once a wake-up for the endpoint arrived; rejects after `timeoutMs`. */
  waitFor(endpointId: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWakeupRecorder(config: HeraldConfig): Promise<WakeupRecorder> {
  const redis = createRedis(config.redis.connection, { role: 'subscriber', name: 'test-wakeup-recorder' });
  const lanes: LaneRef[] = [];
  redis.on('message', (_channel: string, message: string) => {
    for (const line of message.split('\n')) {
      const [tenantId, endpointId] = line.split(' ');
      if (tenantId && endpointId) lanes.push({ tenantId, endpointId });
    }
  });
  await redis.subscribe(wakeChannel(config));
  return {
    lanes,
    async waitFor(endpointId, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      while (!lanes.some((l) => l.endpointId === endpointId)) {
        if (Date.now() > deadline) throw new Error(`no wake-up for ${endpointId} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await redis.quit();
    },
  };
}
