import type { Cluster, ClusterOptions, Redis } from "ioredis";

/** A running local Redis Cluster. */
export interface RedisCluster {
  /** The primaries, on 127.0.0.1. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** A new ioredis Cluster client connected to it (the caller closes it). */
  client(options?: ClusterOptions): Cluster;
  /** A plain client connected to one node (for CLUSTER KEYSLOT and the like). */
  node(index?: number): Redis;
  /** Stops every node and removes their files. */
  stop(): Promise<void>;
}

/** Starts `nodes` (default 3) primaries on `basePort`, `basePort + 1`, … and forms a cluster. */
export function startRedisCluster(options: { basePort: number; nodes?: number }): Promise<RedisCluster>;
