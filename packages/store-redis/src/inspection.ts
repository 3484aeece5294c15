import type { CleanupOptions, Stats } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { epochMs } from "./job-codec.js";
import type { QueueDirectory } from "./queue-directory.js";
import { SCRIPTS } from "./scripts.js";

/** The most finished jobs one cleanup script deletes: each script stays short. */
const CLEANUP_BATCH = 1_000;

const zeroCounts = () => ({
  pending: 0,
  scheduled: 0,
  running: 0,
  completed: 0,
  failed: 0,
  dead: 0,
  cancelled: 0,
});

/**
 * What a {@link RedisStore} does over every queue for upkeep: `stats` and `cleanup` run per queue (each queue is its own slot) against the queue set read afresh, and
 * are merged here.
 */
export class RedisInspection {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly directory: QueueDirectory,
  ) {}

  /** {@inheritDoc Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    const args = [
      String(epochMs(options.completedBefore, "completedBefore")),
      String(epochMs(options.deadBefore, "deadBefore")),
      String(epochMs(options.cancelledBefore, "cancelledBefore")),
      String(CLEANUP_BATCH),
    ];
    const queues = await this.directory.queues(true);
    const deleted = await Promise.all(
      queues.map(async (queue) => {
        let total = 0;
        // Batches keep each script short, so Redis never stalls other clients for long.
        for (;;) {
          const count = (await SCRIPTS.cleanup.run(
            this.client,
            this.directory.keys(queue).scriptKeys,
            args,
          )) as number;
          total += count;
          if (count < CLEANUP_BATCH) return total;
        }
      }),
    );
    return deleted.reduce((sum, count) => sum + count, 0);
  }

  /** {@inheritDoc Store.stats} */
  async stats(): Promise<Stats> {
    const queues = await this.directory.queues(true);
    const hashes = await Promise.all(
      queues.map((queue) => this.client.hgetall(this.directory.keys(queue).counts)),
    );
    const total = zeroCounts();
    // Keyed by queue names, which may be `__proto__` or `constructor`: no prototype to reach.
    const byQueue: NonNullable<Stats["byQueue"]> = Object.create(null);
    hashes.forEach((hash, q) => {
      const counts = zeroCounts();
      let any = false;
      for (const status of Object.keys(counts) as Array<keyof typeof counts>) {
        const n = Number(hash[status] ?? 0);
        counts[status] = n;
        total[status] += n;
        if (n !== 0) any = true;
      }
      if (any) byQueue[queues[q] as string] = counts;
    });
    return { ...total, byQueue };
  }
}
