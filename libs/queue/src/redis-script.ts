import type { RedisClient } from './redis';

/**
 * The one way Herald runs a Lua script: ioredis's defineCommand sends EVALSHA and falls back to
 * EVAL when the server lost the script (restart, failover, SCRIPT FLUSH). Returns a typed call.
 */
export function defineRedisScript<Args extends (string | number)[], Reply>(
  redis: RedisClient,
  name: string,
  script: { numberOfKeys: number; lua: string },
): (...args: Args) => Promise<Reply> {
  const commandName = `herald_${name}`;
  if (!(commandName in redis)) redis.defineCommand(commandName, script);
  const command = (redis as unknown as Record<string, (...args: Args) => Promise<Reply>>)[commandName];
  if (!command) throw new Error(`Redis script ${name} was not defined`);
  return (...args: Args) => command.apply(redis, args);
}
