import type { InstanceRecord } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { compareIds } from "./cross-queue.js";
import { epochMs } from "./job-codec.js";
import type { PrefixKeys } from "./keys.js";
import { SCRIPTS } from "./scripts.js";

/** An {@link InstanceRecord} as stored: the same fields, dates as epoch ms. */
type StoredInstance = Omit<InstanceRecord, "startedAt" | "lastSeenAt" | "expiresAt"> & {
  startedAt: number;
  lastSeenAt: number;
  expiresAt: number;
};

/**
 * The presence records of scheduler instances: one hash of the prefix (`<prefix>{#<prefix>}:instances`),
 * instance id → `<expiresAt ms> <record JSON>`, so a script can drop expired records without
 * decoding them.
 */
export class RedisPresence {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly keys: PrefixKeys,
  ) {}

  /** {@inheritDoc Store.saveInstance} */
  async save(instance: InstanceRecord): Promise<void> {
    const stored: StoredInstance = {
      ...instance,
      queues: instance.queues === null ? null : [...instance.queues],
      startedAt: epochMs(instance.startedAt, "startedAt"),
      lastSeenAt: epochMs(instance.lastSeenAt, "lastSeenAt"),
      expiresAt: epochMs(instance.expiresAt, "expiresAt"),
    };
    await this.client.hset(this.keys.instances, instance.id, `${stored.expiresAt} ${JSON.stringify(stored)}`);
  }

  /** {@inheritDoc Store.removeInstance} */
  async remove(id: string): Promise<boolean> {
    return (await this.client.hdel(this.keys.instances, id)) === 1;
  }

  /** {@inheritDoc Store.listInstances} */
  async list(now: Date): Promise<InstanceRecord[]> {
    const values = (await SCRIPTS.listInstances.run(
      this.client,
      [this.keys.instances],
      [String(epochMs(now, "now"))],
    )) as string[];
    return values
      .map((value) => {
        const stored = JSON.parse(value.slice(value.indexOf(" ") + 1)) as StoredInstance;
        return {
          ...stored,
          startedAt: new Date(stored.startedAt),
          lastSeenAt: new Date(stored.lastSeenAt),
          expiresAt: new Date(stored.expiresAt),
        };
      })
      .sort((a, b) => compareIds(a.id, b.id));
  }
}
