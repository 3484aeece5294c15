/**
 * What the Redis contenders share: the server's URL and a way to delete a contender's keys before
 * and after its run (never `FLUSHALL`: others may use the same server), so that no run inherits
 * another's jobs, streams or counters.
 */
import { Redis } from "ioredis";

/** The Redis every Redis contender uses (`SCHED_REDIS_URL`). */
export function redisUrl(env: Record<string, string | undefined> = process.env): string {
  return env.SCHED_REDIS_URL?.trim() || "redis://127.0.0.1:6379";
}

const PREFIX = /^[A-Za-z0-9_:{}-]+$/;

/** The `SCAN` pattern matching every key that starts with `prefix`, glob characters escaped. */
export function keyPattern(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new Error(`not a plain key prefix: ${JSON.stringify(prefix)}`);
  // None of the characters the check lets through is a glob character.
  return `${prefix}*`;
}

/**
 * Deletes every key that starts with one of `prefixes` (`SCAN MATCH` + `UNLINK`, on a connection
 * of its own). Returns how many keys were deleted.
 */
export async function deleteKeys(url: string, prefixes: readonly string[]): Promise<number> {
  const patterns = prefixes.map(keyPattern);
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectionName: "sched-bench-cleanup",
  });
  await client.connect();
  let deleted = 0;
  try {
    for (const pattern of patterns) {
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** The server's `used_memory` (`INFO memory`), in bytes: everything on it, not one prefix's keys. */
export async function usedMemory(url: string): Promise<number> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectionName: "sched-bench-size",
  });
  await client.connect();
  try {
    const info = await client.info("memory");
    const match = /^used_memory:(\d+)/m.exec(info);
    return match ? Number(match[1]) : 0;
  } finally {
    client.disconnect();
  }
}
