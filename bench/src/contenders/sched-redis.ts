import { RedisStore } from "@sched/store-redis";
import type { Contender } from "../contender.js";
import { deleteKeys, redisUrl, usedMemory } from "./redis.js";
import { createSchedContender } from "./sched-common.js";

/** The store's key prefix: every key of the store starts with it. */
const KEY_PREFIX = "bench_sched:";

/**
 * @sched/core with `RedisStore` (`@sched/store-redis`), its keys under a prefix of their own
 * (`bench_sched:`, deleted before and after the run), at its defaults except `workers` (the
 * bench's concurrency, 50): `prefetch` 150, `claimBatchSize` 100 (RedisStore declares
 * `largeClaims`). The handler is `async`, as users write them; it calls the workload's handler
 * first.
 */
export function createContender(keyPrefix = KEY_PREFIX): Contender {
  const url = redisUrl();
  return createSchedContender({
    name: "sched-redis",
    createStore: () => new RedisStore({ url, keyPrefix }),
    clean: async () => {
      await deleteKeys(url, [keyPrefix]);
    },
    storeBytes: () => usedMemory(url),
  });
}
