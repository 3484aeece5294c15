import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { RedisLeader, type RedisLeaderOptions } from "../src/index.js";

/** The shared test server; tests isolate themselves with a key prefix each and delete their keys. */
export const url = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A key prefix unique to one test file, under which it leaves keys; they are deleted after the
 * file's tests (never FLUSHALL: the server is shared). Returns the prefix and an admin client for
 * inspecting keys, closed after the tests.
 */
export function useKeyPrefix(label: string): { keyPrefix: string; admin: Redis } {
  const keyPrefix = `sched-test:leader-redis:${label}:${randomUUID().slice(0, 8)}:`;
  const admin = new Redis(url, { lazyConnect: true });
  afterAll(async () => {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await admin.quit();
  });
  return { keyPrefix, admin };
}

/** A unique lease name, so tests of one file never compete. */
export function uniqueName(): string {
  return `lease-${randomUUID()}`;
}

/** Creates leaders for one test and closes them all afterwards. */
export function leaderFactory(defaults: RedisLeaderOptions): {
  make(options?: RedisLeaderOptions): RedisLeader;
  closeAll(): Promise<void>;
} {
  const made: RedisLeader[] = [];
  return {
    make(options = {}) {
      const connection = options.client ? {} : { url };
      const leader = new RedisLeader({ ...connection, ...defaults, ...options });
      made.push(leader);
      return leader;
    },
    async closeAll() {
      await Promise.all(made.splice(0).map((leader) => leader.close()));
    },
  };
}
