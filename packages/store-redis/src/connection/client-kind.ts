import type { Cluster, Redis } from "ioredis";

/**
 * Whether `value` is an ioredis `Redis` or `Cluster` client. Checked by its methods rather than by
 * `instanceof`, so a client of another copy of ioredis passes too.
 */
export function isRedisClient(value: unknown): value is Redis | Cluster {
  return typeof (value as Partial<Redis> | null | undefined)?.defineCommand === "function";
}

/** Whether `client` is an ioredis `Cluster` (checked by its flag, so another copy of ioredis works too). */
export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}
