import { RedisStore } from "@sched/store-redis";
import type { Contender } from "../contender.js";
import { deleteKeys, redisUrl } from "./redis.js";
import { createSchedContender } from "./sched-common.js";

/** The store's key prefix. */
const KEY_PREFIX = "bench_sched:";
/**
 * What this contender's keys start with: the prefix, or (a queue's keys, hash-tagged for Redis
 * Cluster) `{` and the prefix.
 */
const KEYS = [KEY_PREFIX, `{${KEY_PREFIX}`];

/**
 * @sched/core with `RedisStore` (`@sched/store-redis`), its keys under a prefix of their own
 * (`bench_sched:`, deleted before and after the run), at its defaults except `workers` (the
 * bench's concurrency, 50). The handler is `async`, as users write them; it calls the workload's
 * handler first.
 */
export function createContender(): Contender {
  const url = redisUrl();
  return createSchedContender({
    name: "sched-redis",
    createStore: () => new RedisStore({ url, keyPrefix: KEY_PREFIX }),
    clean: async () => {
      await deleteKeys(url, KEYS);
    },
  });
}
