import {
  type FireResult,
  insertedJob,
  type SaveScheduleOptions,
  type ScheduleRecord,
  type ScheduleTick,
} from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { isCluster } from "./connection/index.js";
import { compareIds, groupBy } from "./cross-queue.js";
import {
  decodeSchedule,
  encodeNewJob,
  encodeSchedule,
  encodeScheduleCondition,
  epochMs,
  throwInsertError,
} from "./job-codec.js";
import type { PrefixKeys } from "./keys.js";
import type { QueueDirectory } from "./queue-directory.js";
import { SCRIPTS } from "./scripts.js";

/**
 * The schedules of a {@link RedisStore}. A schedule is kept in the slot of its job template's
 * queue (`<prefix>{<queue>}:schedule:<name>`), so that a tick's compare-and-set and the insert of
 * its jobs are one script; the prefix's registry (`<prefix>{#<prefix>}:schedules`) maps each
 * name to that queue.
 */
export class RedisSchedules {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefixKeys: PrefixKeys,
    private readonly directory: QueueDirectory,
  ) {}

  /**
   * {@inheritDoc Store.saveSchedule}
   *
   * On a single node one script (`saveSchedule.lua`) checks the condition, writes the record and
   * its registry entry. On a Cluster the registry lives in another slot than the record (which
   * must share its queue's slot, so that a tick and its jobs are one script): the registry is read,
   * the condition and the write are one script in the record's slot (`writeSchedule.lua`), and the
   * registry is written after only when it does not name that queue yet. A schedule whose job
   * template moved to another queue is taken from the old slot first, by a script of its own.
   */
  async save(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    // Both conditions at once can never hold (as in MemoryStore): nothing to write.
    if (options?.onlyIfAbsent && options.expectDefinition !== undefined) return false;
    const fields = encodeSchedule(schedule);
    const condition = encodeScheduleCondition(options);
    const { name } = schedule;
    const queue = schedule.definition.job.queue;
    const key = this.directory.keys(queue).schedule(name);
    const registry = this.prefixKeys.schedules;
    if (!isCluster(this.client)) {
      const written = await SCRIPTS.saveSchedule.run(
        this.client,
        [registry, key],
        [name, queue, ...condition, ...fields],
      );
      return written === 1;
    }
    const previous = await this.client.hget(registry, name);
    if (previous !== null && previous !== queue) {
      // The template moved to another queue: the record in the old slot is the one to compare
      // with; taking it (deleting it) under the condition makes this writer the only one to move it.
      const oldKey = this.directory.keys(previous).schedule(name);
      const taken = await SCRIPTS.writeSchedule.run(this.client, [oldKey], ["take", ...condition]);
      if (taken === 1) {
        await SCRIPTS.writeSchedule.run(this.client, [key], ["write", "", "", "", ...fields]);
        await this.client.hset(registry, name, queue);
        return true;
      }
      if (taken === 0) return false;
      // The old record is gone (lost with its slot's data): compare with the new slot's.
    }
    const written = await SCRIPTS.writeSchedule.run(this.client, [key], ["write", ...condition, ...fields]);
    // Written or not, the registry must point at the record that exists (it already does when
    // it names this queue).
    if (previous !== queue && written !== -1) await this.client.hset(registry, name, queue);
    return written === 1;
  }

  /** {@inheritDoc Store.getSchedule} */
  async get(name: string): Promise<ScheduleRecord | null> {
    const queue = await this.client.hget(this.prefixKeys.schedules, name);
    if (queue === null) return null;
    return decodeSchedule(await this.client.hgetall(this.directory.keys(queue).schedule(name)));
  }

  /** {@inheritDoc Store.listSchedules} */
  async list(): Promise<ScheduleRecord[]> {
    const registry = Object.entries(await this.client.hgetall(this.prefixKeys.schedules));
    const hashes = await Promise.all(
      registry.map(([name, queue]) => this.client.hgetall(this.directory.keys(queue).schedule(name))),
    );
    return hashes
      .map(decodeSchedule)
      .filter((schedule): schedule is ScheduleRecord => schedule !== null)
      .sort((a, b) => compareIds(a.name, b.name));
  }

  /** {@inheritDoc Store.deleteSchedule} */
  async delete(name: string): Promise<boolean> {
    const queue = await this.client.hget(this.prefixKeys.schedules, name);
    if (queue === null) return false;
    const deleted = await this.client.del(this.directory.keys(queue).schedule(name));
    await this.client.hdel(this.prefixKeys.schedules, name);
    return deleted === 1;
  }

  /**
   * {@inheritDoc Store.fireScheduleTick}
   *
   * The compare-and-set and the insert of the tick's jobs in the schedule's queue are one script,
   * which also publishes the jobs event. Jobs of a tick addressed to another queue (another slot)
   * are inserted right after, by a second script, only when the tick fired.
   */
  async fire(tick: ScheduleTick): Promise<FireResult> {
    const expected = String(epochMs(tick.expectedNextRunAt, "expectedNextRunAt"));
    const firedAt = String(epochMs(tick.firedAt, "firedAt"));
    const nextRunAt = tick.nextRunAt === null ? "" : String(epochMs(tick.nextRunAt, "nextRunAt"));
    const queue = await this.client.hget(this.prefixKeys.schedules, tick.name);
    if (queue === null) return { fired: false, jobs: [] };
    const groups = groupBy(tick.jobs, (job) => job.queue);
    const own = groups.get(queue) ?? [];
    groups.delete(queue);
    const args = [
      expected,
      nextRunAt,
      firedAt,
      String(tick.jobs.length),
      ...encodeScheduleCondition(
        tick.expectedDefinition === undefined ? undefined : { expectDefinition: tick.expectedDefinition },
      ),
    ];
    for (const job of own) encodeNewJob(job, args);
    const foreign = [...groups].map(([other, group]) => {
      const otherArgs = ["skip", ""];
      for (const job of group) encodeNewJob(job, otherArgs);
      return [other, otherArgs] as const;
    });
    const register = this.directory.registerQueues(tick.jobs.map((job) => job.queue));
    // Awaited below, maybe only after the script failed: until then its failure is not unhandled.
    register.catch(() => {});
    const keys = this.directory.keys(queue);
    let reply: Array<string | number>;
    let added: ReadonlySet<string>;
    try {
      reply = (await SCRIPTS.fireScheduleTick.run(
        this.client,
        this.directory.registeringKeys([...keys.scriptKeys, keys.schedule(tick.name)]),
        args,
      )) as Array<string | number>;
    } finally {
      added = await register;
    }
    if (reply[0] === 0) return { fired: false, jobs: [] };
    throwInsertError(reply);
    const fresh = reply[0] === 2 ? [queue] : [];
    const inserted = new Set(reply.slice(1) as string[]);
    for (const [other, otherArgs] of foreign) {
      const otherReply = (await SCRIPTS.createJobs.run(
        this.client,
        this.directory.registeringKeys(this.directory.keys(other).scriptKeys),
        otherArgs,
      )) as string[];
      throwInsertError(otherReply);
      if (otherReply[0] === "new") fresh.push(other);
      for (const id of otherReply.slice(1)) inserted.add(id);
    }
    await this.directory.registerAgain(fresh, added);
    return {
      fired: true,
      jobs: tick.jobs.filter((job) => inserted.has(job.id)).map((job) => insertedJob(job)),
    };
  }
}
