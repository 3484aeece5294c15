import type { ThroughputQuery, ThroughputSample } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { compareIds } from "./cross-queue.js";
import { epochMs } from "./job-codec.js";
import type { PrefixKeys } from "./keys.js";
import { SCRIPTS } from "./scripts.js";

/**
 * The per-minute, per-queue throughput history, in keys of the prefix (see
 * {@link PrefixKeys.throughput}): counts added with `HINCRBY`, minutes before `keepSince`
 * deleted in the same script, so the history stays bounded.
 */
export class ThroughputHistory {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly keys: PrefixKeys,
  ) {}

  /** {@inheritDoc Store.addThroughput} */
  async add(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    const args = [String(epochMs(keepSince, "keepSince"))];
    for (const sample of samples) {
      args.push(
        String(epochMs(sample.minute, "minute")),
        sample.queue,
        String(Math.trunc(sample.completed)),
        String(Math.trunc(sample.failed)),
      );
    }
    await SCRIPTS.addThroughput.run(this.client, this.keys.throughput, args);
  }

  /** {@inheritDoc Store.throughput} */
  async query(query: ThroughputQuery): Promise<ThroughputSample[]> {
    const reply = (await SCRIPTS.throughput.run(this.client, this.keys.throughput, [
      String(epochMs(query.since, "since")),
      query.until === undefined ? "+inf" : String(epochMs(query.until, "until")),
      query.queue === null ? "" : `=${query.queue}`,
    ])) as Array<string | number>;
    const samples: ThroughputSample[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      const field = String(reply[i]);
      const bar = field.indexOf("|");
      samples.push({
        queue: field.slice(bar + 1),
        minute: new Date(Number(field.slice(0, bar))),
        completed: Number(reply[i + 1]),
        failed: Number(reply[i + 2]),
      });
    }
    return samples.sort((a, b) => a.minute.getTime() - b.minute.getTime() || compareIds(a.queue, b.queue));
  }
}
