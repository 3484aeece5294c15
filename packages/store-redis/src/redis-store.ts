import {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreateJobsOptions,
  type Duration,
  type FailOptions,
  type FireResult,
  InvalidArgumentError,
  insertedJob,
  type Job,
  JobAlreadyExistsError,
  type JobFilter,
  type JobRef,
  MAX_HISTORY,
  type NewJobRecord,
  parseDuration,
  type SaveScheduleOptions,
  type ScheduleRecord,
  type ScheduleTick,
  type Stats,
  type Store,
  StoreError,
} from "@sched/core";
import type { Cluster, Redis } from "ioredis";
import { type ConnectionTarget, openConnection, storeError } from "./connection.js";
import {
  decodeJob,
  decodeSchedule,
  encodeNewJob,
  encodeSchedule,
  epochMs,
  type JobReply,
} from "./job-codec.js";
import { assertKeyPrefix, DEFAULT_KEY_PREFIX, PrefixKeys } from "./keys.js";
import { QueueDirectory } from "./queue-directory.js";
import { SCRIPTS } from "./scripts.js";
import { WakeListener } from "./wake-listener.js";

/** Options of {@link RedisStore}. */
/** The longest close() waits for one step (the wake loop, QUIT, the socket's end) before forcing it. */
const CLOSE_STEP_MS = 2_000;

/** Waits for `promise` at most `ms`; resolves whether it settled in time. Leaves no timer behind. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RedisStoreOptions {
  /** A `redis://` or `rediss://` URL; the store creates the client and closes it. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** An ioredis `Redis` or `Cluster` client the application owns; `close()` leaves it open. */
  client?: Redis | Cluster;
  /** Prefix of every key (`A-Z a-z 0-9 _ . : -`, 1-100 characters); default `"scheduler:"`. */
  keyPrefix?: string;
  /** Database number for a client created from `url`. */
  db?: number;
  /**
   * Expiry set on the hash of a finished (completed, dead, cancelled) job, a safety net should
   * `cleanup` never run; it must exceed your longest retention. Default `"720h"` (30 days); `0` disables it.
   */
  finishedJobTtl?: Duration;
}

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;
const CLEANUP_BATCH = 1_000;
/** The wake list keeps at most this many markers: a marker only says "look at this queue". */
const WAKE_LIST_LENGTH = 64;
const LEASE_EXPIRED = "lease expired";

/** A due job seen by a peek, while claims across several queues are merged. */
interface Candidate {
  queue: string;
  id: string;
  priority: number;
  scheduledAt: number;
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const claimOrder = (
  a: { priority: number; scheduledAt: number; id: string },
  b: { priority: number; scheduledAt: number; id: string },
): number => b.priority - a.priority || a.scheduledAt - b.scheduledAt || compareIds(a.id, b.id);

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * A {@link Store} on Redis 7 (single node or Cluster). Every change that touches more than one key
 * is one Lua script (`scripts/*.lua`), called by SHA. All keys of a queue share the hash tag
 * `{<prefix><queue>}`, so each queue lives in one Cluster slot; operations across queues (claims
 * of several queues, stats, listJobs, cleanup) run per queue and are merged here. Wake-ups are
 * pushed to a list that one dedicated connection pops with `BLPOP`. See the README for the keys.
 */
export class RedisStore implements Store {
  private readonly client: Redis | Cluster;
  private readonly owned: boolean;
  private readonly target: ConnectionTarget;
  private readonly lastConnectionError: () => string | undefined;
  private readonly prefixKeys: PrefixKeys;
  private readonly directory: QueueDirectory;
  private readonly ttlSeconds: string;
  private wake: WakeListener | null = null;
  private closed = false;

  /**
   * Creates the store. Opens no connection until the first call.
   *
   * @throws ConfigError naming `keyPrefix`, `url`, `client`, `db` or `finishedJobTtl` when invalid.
   */
  constructor(options: RedisStoreOptions = {}) {
    const prefix = assertKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    const ttl = parseDuration(options.finishedJobTtl ?? "720h", "finishedJobTtl");
    const connection = openConnection(options);
    this.client = connection.client;
    this.owned = connection.owned;
    this.target = connection.target;
    this.lastConnectionError = connection.lastConnectionError;
    this.prefixKeys = new PrefixKeys(prefix);
    this.directory = new QueueDirectory(this.client, this.prefixKeys);
    this.ttlSeconds = String(Math.ceil(ttl / 1000));
  }

  /** The prefix of every key of this store. */
  get keyPrefix(): string {
    return this.prefixKeys.prefix;
  }

  /** The ioredis client the store sends commands on. */
  get redis(): Redis | Cluster {
    return this.client;
  }

  /** {@inheritDoc Store.createJobs} */
  async createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions): Promise<Job[]> {
    this.assertOpen();
    if (options?.transaction !== undefined) {
      throw new InvalidArgumentError(
        "transaction",
        "the Redis store cannot join a transaction; enqueue without one",
      );
    }
    if (jobs.length === 0) return [];
    const groups = [...groupBy(jobs, (job) => job.queue)];
    const encoded = groups.map(([queue, group]) => {
      const args = ["reject", queue];
      for (const job of group) encodeNewJob(job, args);
      return args;
    });
    return this.call("createJobs", async () => {
      const register = this.directory.registerQueues(groups.map(([queue]) => queue));
      const done: Array<[string, NewJobRecord[]]> = [];
      try {
        for (const [i, [queue, group]] of groups.entries()) {
          const reply = (await SCRIPTS.createJobs.run(
            this.client,
            this.directory.keys(queue).scriptKeys,
            encoded[i] as string[],
          )) as string[];
          this.throwInsertError(reply);
          done.push([queue, group]);
        }
      } catch (err) {
        // Several queues are several slots: undo the queues already inserted, so the batch is all or nothing.
        for (const [queue, group] of done) {
          const ids = group.map((job) => job.id);
          await SCRIPTS.removeJobs
            .run(this.client, this.directory.keys(queue).scriptKeys, ids)
            .catch(() => {});
        }
        await register.catch(() => {});
        throw err;
      }
      await register;
      this.pushWake(groups.map(([queue]) => queue));
      return jobs.map(insertedJob);
    });
  }

  /** {@inheritDoc Store.getJob} */
  async getJob(id: string): Promise<Job | null> {
    this.assertOpen();
    return this.call("getJob", async () => {
      const queue = (await this.directory.locate([id])).get(id);
      if (queue === undefined) return null;
      return decodeJob(await this.readJob(queue, id));
    });
  }

  /** {@inheritDoc Store.listJobs} */
  async listJobs(filter: JobFilter): Promise<Job[]> {
    this.assertOpen();
    const statuses =
      filter.status === undefined
        ? ""
        : `,${(Array.isArray(filter.status) ? filter.status : [filter.status]).join(",")},`;
    const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIST_LIMIT, 0), MAX_LIST_LIMIT);
    const offset = Math.max(filter.offset ?? 0, 0);
    if (limit === 0 || statuses === ",,") return [];
    return this.call("listJobs", async () => {
      const queues = filter.queue === undefined ? await this.directory.queues(true) : [filter.queue];
      const args = [statuses, filter.name === undefined ? "" : `=${filter.name}`, String(offset + limit)];
      const replies = await Promise.all(
        queues.map((queue) => SCRIPTS.listJobs.run(this.client, this.directory.keys(queue).scriptKeys, args)),
      );
      const found: Array<{ createdAt: number; job: Job }> = [];
      for (const reply of replies as Array<Array<string | JobReply>>) {
        for (let i = 0; i < reply.length; i += 2) {
          const job = decodeJob(reply[i + 1] as JobReply);
          if (job !== null) found.push({ createdAt: Number(reply[i]), job });
        }
      }
      found.sort((a, b) => a.createdAt - b.createdAt || compareIds(a.job.id, b.job.id));
      return found.slice(offset, offset + limit).map((entry) => entry.job);
    });
  }

  /** {@inheritDoc Store.cancelJob} */
  async cancelJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    return this.call("cancelJob", async () => {
      const queue = (await this.directory.locate([id])).get(id);
      if (queue === undefined) return null;
      const reply = await SCRIPTS.cancelJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        id,
        nowMs,
        this.ttlSeconds,
      ]);
      this.directory.forget(id);
      return decodeJob(reply as JobReply | null);
    });
  }

  /** {@inheritDoc Store.requeueJob} */
  async requeueJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    return this.call("requeueJob", async () => {
      const queue = (await this.directory.locate([id])).get(id);
      if (queue === undefined) return null;
      const reply = (await SCRIPTS.requeueJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        id,
        nowMs,
      ])) as [string, JobReply | string, string?] | null;
      if (reply === null) return null;
      if (reply[0] === "unique") throw new JobAlreadyExistsError(reply[1] as string, reply[2] || null);
      const job = decodeJob(reply[1] as JobReply);
      if (job?.status === "pending") this.pushWake([queue]);
      return job;
    });
  }

  /** {@inheritDoc Store.claimDueJobs} */
  async claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const lockedUntil = String(epochMs(options.lockedUntil, "lockedUntil"));
    const { limit, workerId } = options;
    if (!(limit > 0)) return [];
    return this.call("claimDueJobs", async () => {
      const queues =
        options.queues === null ? await this.directory.queues(false) : [...new Set(options.queues)];
      if (queues.length === 0) return [];
      let shares: Array<[string, number]>;
      if (queues.length === 1) {
        shares = [[queues[0] as string, limit]];
      } else {
        // Several queues are several slots: peek at each queue's head, merge the claim order
        // here, then claim from each queue as many as it contributes to the first `limit`.
        const peeks = (await Promise.all(
          queues.map((queue) =>
            SCRIPTS.peekDueJobs.run(this.client, this.directory.keys(queue).scriptKeys, [now, String(limit)]),
          ),
        )) as string[][];
        const candidates: Candidate[] = [];
        peeks.forEach((peek, q) => {
          for (let i = 0; i < peek.length; i += 3) {
            candidates.push({
              queue: queues[q] as string,
              id: peek[i] as string,
              priority: Number(peek[i + 1]),
              scheduledAt: Number(peek[i + 2]),
            });
          }
        });
        candidates.sort(claimOrder);
        const counts = new Map<string, number>();
        for (const candidate of candidates.slice(0, limit)) {
          counts.set(candidate.queue, (counts.get(candidate.queue) ?? 0) + 1);
        }
        shares = [...counts];
      }
      const replies = (await Promise.all(
        shares.map(([queue, count]) =>
          SCRIPTS.claimDueJobs.run(this.client, this.directory.keys(queue).scriptKeys, [
            now,
            lockedUntil,
            workerId,
            String(count),
          ]),
        ),
      )) as JobReply[][];
      const claimed: Job[] = [];
      for (const reply of replies) {
        for (const row of reply) {
          const job = decodeJob(row) as Job;
          this.directory.remember(job.id, job.queue);
          claimed.push(job);
        }
      }
      if (replies.length > 1) {
        claimed.sort((a, b) =>
          claimOrder(
            { priority: a.priority, scheduledAt: a.scheduledAt.getTime(), id: a.id },
            { priority: b.priority, scheduledAt: b.scheduledAt.getTime(), id: b.id },
          ),
        );
      }
      return claimed;
    });
  }

  /** {@inheritDoc Store.completeJobs} */
  async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const remove = options.removeOnComplete ? "1" : "0";
    if (refs.length === 0) return [];
    return this.call("completeJobs", async () => {
      const located = await this.directory.locate(refs.map((ref) => ref.id));
      const applied: boolean[] = new Array(refs.length).fill(false);
      const indexed = refs.map((ref, index) => ({ ref, index, queue: located.get(ref.id) }));
      const groups = groupBy(
        indexed.filter((entry) => entry.queue !== undefined),
        (entry) => entry.queue as string,
      );
      await Promise.all(
        [...groups].map(async ([queue, entries]) => {
          const args = [now, remove, this.ttlSeconds];
          for (const { ref } of entries) args.push(ref.id, String(ref.attempt));
          const reply = (await SCRIPTS.completeJobs.run(
            this.client,
            this.directory.keys(queue).scriptKeys,
            args,
          )) as number[];
          entries.forEach((entry, i) => {
            applied[entry.index] = reply[i] === 1;
            if (reply[i] === 1) this.directory.forget(entry.ref.id);
          });
        }),
      );
      return applied;
    });
  }

  /** {@inheritDoc Store.failJob} */
  async failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const retryAt = options.retryAt === null ? "" : String(epochMs(options.retryAt, "retryAt"));
    return this.call("failJob", async () => {
      const queue = (await this.directory.locate([ref.id])).get(ref.id);
      if (queue === undefined) return null;
      const reply = await SCRIPTS.failJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        ref.id,
        String(ref.attempt),
        now,
        options.error,
        retryAt,
        this.ttlSeconds,
        String(MAX_HISTORY),
      ]);
      const job = decodeJob(reply as JobReply | null);
      if (job !== null) {
        this.directory.forget(ref.id);
        if (job.status === "failed") this.pushWake([queue]);
      }
      return job;
    });
  }

  /** {@inheritDoc Store.renewLeases} */
  async renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    this.assertOpen();
    const until = String(epochMs(lockedUntil, "lockedUntil"));
    if (refs.length === 0) return [];
    return this.call("renewLeases", async () => {
      const located = await this.directory.locate(refs.map((ref) => ref.id));
      const lost = refs.filter((ref) => !located.has(ref.id)).map((ref) => ref.id);
      const groups = groupBy(
        refs.filter((ref) => located.has(ref.id)),
        (ref) => located.get(ref.id) as string,
      );
      const replies = await Promise.all(
        [...groups].map(([queue, group]) => {
          const args = [until];
          for (const ref of group) args.push(ref.id, String(ref.attempt));
          return SCRIPTS.renewLeases.run(this.client, this.directory.keys(queue).scriptKeys, args);
        }),
      );
      for (const reply of replies as string[][]) lost.push(...reply);
      return lost;
    });
  }

  /** {@inheritDoc Store.recoverExpiredLeases} */
  async recoverExpiredLeases(now: Date, limit: number): Promise<string[]> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    if (!(limit > 0)) return [];
    return this.call("recoverExpiredLeases", async () => {
      const queues = await this.directory.queues(true);
      const expired = await Promise.all(
        queues.map((queue) =>
          this.client.zrangebyscore(
            this.directory.keys(queue).running,
            "-inf",
            nowMs,
            "WITHSCORES",
            "LIMIT",
            0,
            limit,
          ),
        ),
      );
      const candidates: Array<{ queue: string; id: string; lockedUntil: number }> = [];
      expired.forEach((entries, q) => {
        for (let i = 0; i < entries.length; i += 2) {
          candidates.push({
            queue: queues[q] as string,
            id: entries[i] as string,
            lockedUntil: Number(entries[i + 1]),
          });
        }
      });
      // Longest expired first, so that a small limit still makes progress on the oldest.
      candidates.sort((a, b) => a.lockedUntil - b.lockedUntil || compareIds(a.id, b.id));
      const groups = groupBy(candidates.slice(0, limit), (candidate) => candidate.queue);
      const replies = await Promise.all(
        [...groups].map(([queue, group]) =>
          SCRIPTS.recoverExpiredLeases.run(this.client, this.directory.keys(queue).scriptKeys, [
            nowMs,
            LEASE_EXPIRED,
            String(MAX_HISTORY),
            ...group.map((candidate) => candidate.id),
          ]),
        ),
      );
      const recovered = (replies as string[][]).flat();
      const wake = [...groups.keys()].filter((_, i) => (replies[i] as string[]).length > 0);
      this.pushWake(wake);
      return recovered;
    });
  }

  /** {@inheritDoc Store.nextDueAt} */
  async nextDueAt(queues: readonly string[] | null): Promise<Date | null> {
    this.assertOpen();
    return this.call("nextDueAt", async () => {
      const names = queues === null ? await this.directory.queues(false) : [...new Set(queues)];
      const replies = await Promise.all(
        names.map((queue) => SCRIPTS.nextDueAt.run(this.client, this.directory.keys(queue).scriptKeys, [])),
      );
      let earliest: number | null = null;
      for (const reply of replies) {
        if (reply === null) continue;
        const at = Number(reply);
        if (earliest === null || at < earliest) earliest = at;
      }
      return earliest === null ? null : new Date(earliest);
    });
  }

  /**
   * {@inheritDoc Store.saveSchedule}
   *
   * The schedule is kept in the slot of its job template's queue (so that a tick's compare-and-set
   * and its insert are one script); the prefix's schedule registry maps its name to that queue.
   */
  async saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    this.assertOpen();
    const fields = encodeSchedule(schedule);
    const queue = schedule.definition.job.queue;
    return this.call("saveSchedule", async () => {
      const previous = await this.client.hget(this.prefixKeys.schedules, schedule.name);
      if (options?.onlyIfAbsent && previous !== null && previous !== queue) {
        if ((await this.client.exists(this.directory.keys(previous).schedule(schedule.name))) === 1)
          return false;
      }
      const written = await SCRIPTS.saveSchedule.run(
        this.client,
        [this.directory.keys(queue).schedule(schedule.name)],
        [options?.onlyIfAbsent ? "1" : "0", ...fields],
      );
      // Written or not, the registry must point at the schedule that exists.
      await this.client.hset(this.prefixKeys.schedules, schedule.name, queue);
      if (written === 1 && previous !== null && previous !== queue) {
        await this.client.del(this.directory.keys(previous).schedule(schedule.name));
      }
      return written === 1;
    });
  }

  /** {@inheritDoc Store.getSchedule} */
  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    return this.call("getSchedule", async () => {
      const queue = await this.client.hget(this.prefixKeys.schedules, name);
      if (queue === null) return null;
      return decodeSchedule(await this.client.hgetall(this.directory.keys(queue).schedule(name)));
    });
  }

  /** {@inheritDoc Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    this.assertOpen();
    return this.call("listSchedules", async () => {
      const registry = Object.entries(await this.client.hgetall(this.prefixKeys.schedules));
      const hashes = await Promise.all(
        registry.map(([name, queue]) => this.client.hgetall(this.directory.keys(queue).schedule(name))),
      );
      return hashes
        .map(decodeSchedule)
        .filter((schedule): schedule is ScheduleRecord => schedule !== null)
        .sort((a, b) => compareIds(a.name, b.name));
    });
  }

  /** {@inheritDoc Store.deleteSchedule} */
  async deleteSchedule(name: string): Promise<boolean> {
    this.assertOpen();
    return this.call("deleteSchedule", async () => {
      const queue = await this.client.hget(this.prefixKeys.schedules, name);
      if (queue === null) return false;
      const deleted = await this.client.del(this.directory.keys(queue).schedule(name));
      await this.client.hdel(this.prefixKeys.schedules, name);
      return deleted === 1;
    });
  }

  /**
   * {@inheritDoc Store.fireScheduleTick}
   *
   * The compare-and-set and the insert of the tick's jobs in the schedule's queue are one script.
   * Jobs of a tick addressed to another queue (another slot) are inserted right after, by a second
   * script, only when the tick fired.
   */
  async fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    this.assertOpen();
    const expected = String(epochMs(tick.expectedNextRunAt, "expectedNextRunAt"));
    const firedAt = String(epochMs(tick.firedAt, "firedAt"));
    const nextRunAt = tick.nextRunAt === null ? "" : String(epochMs(tick.nextRunAt, "nextRunAt"));
    return this.call("fireScheduleTick", async () => {
      const queue = await this.client.hget(this.prefixKeys.schedules, tick.name);
      if (queue === null) return { fired: false, jobs: [] };
      const groups = groupBy(tick.jobs, (job) => job.queue);
      const own = groups.get(queue) ?? [];
      groups.delete(queue);
      const args = [expected, nextRunAt, firedAt, String(tick.jobs.length), queue];
      for (const job of own) encodeNewJob(job, args);
      const foreign = [...groups].map(([other, group]) => {
        const otherArgs = ["skip", other];
        for (const job of group) encodeNewJob(job, otherArgs);
        return [other, otherArgs] as const;
      });
      if (tick.jobs.length > 0)
        await this.directory.registerQueues([...new Set(tick.jobs.map((job) => job.queue))]);
      const keys = this.directory.keys(queue);
      const reply = (await SCRIPTS.fireScheduleTick.run(
        this.client,
        [...keys.scriptKeys, keys.schedule(tick.name)],
        args,
      )) as Array<string | number>;
      if (reply[0] === 0) return { fired: false, jobs: [] };
      this.throwInsertError(reply as string[]);
      const inserted = new Set(reply.slice(1) as string[]);
      for (const [other, otherArgs] of foreign) {
        const otherReply = (await SCRIPTS.createJobs.run(
          this.client,
          this.directory.keys(other).scriptKeys,
          otherArgs,
        )) as string[];
        this.throwInsertError(otherReply);
        for (const id of otherReply.slice(1)) inserted.add(id);
      }
      const jobs = tick.jobs.filter((job) => inserted.has(job.id)).map(insertedJob);
      this.pushWake([...new Set(jobs.map((job) => job.queue))]);
      return { fired: true, jobs };
    });
  }

  /** {@inheritDoc Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    this.assertOpen();
    const args = [
      String(epochMs(options.completedBefore, "completedBefore")),
      String(epochMs(options.deadBefore, "deadBefore")),
      String(epochMs(options.cancelledBefore, "cancelledBefore")),
      String(CLEANUP_BATCH),
    ];
    return this.call("cleanup", async () => {
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
    });
  }

  /** {@inheritDoc Store.stats} */
  async stats(): Promise<Stats> {
    this.assertOpen();
    return this.call("stats", async () => {
      const queues = await this.directory.queues(true);
      const hashes = await Promise.all(
        queues.map((queue) => this.client.hgetall(this.directory.keys(queue).counts)),
      );
      const zero = () => ({
        pending: 0,
        scheduled: 0,
        running: 0,
        completed: 0,
        failed: 0,
        dead: 0,
        cancelled: 0,
      });
      const total = zero();
      const byQueue: NonNullable<Stats["byQueue"]> = {};
      hashes.forEach((hash, q) => {
        const counts = zero();
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
    });
  }

  /** {@inheritDoc Store.ping} */
  async ping(): Promise<void> {
    this.assertOpen();
    await this.call("ping", async () => {
      await this.client.ping();
    });
  }

  /**
   * Calls `listener(queue)` when jobs may have become available in `queue`, enqueued (or requeued,
   * retried, recovered, made by a tick) by any instance. The first subscriber starts a `BLPOP`
   * loop on one dedicated connection; the last unsubscribe closes it. Returns an unsubscribe function.
   */
  subscribe(listener: (queue: string) => void): () => void {
    if (this.closed) return () => {};
    this.wake ??= new WakeListener(this.client, this.prefixKeys.wake, () => {});
    return this.wake.add((queue) => {
      this.directory.noteQueues([queue]);
      listener(queue);
    });
  }

  /** Stops wake-ups and closes the client the store created (a client passed in stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Every wait below is bounded: after a server restart or a killed connection a reply or an
    // 'end' event may never come, and close() must finish whatever state the server is in.
    const wake = this.wake;
    this.wake = null;
    if (wake) await settleWithin(wake.stop(), CLOSE_STEP_MS);
    if (!this.owned) return;
    if (this.client.status !== "ready") {
      // Not connected (never used, or reconnecting to a server that is gone): nothing to flush.
      this.client.disconnect();
      return;
    }
    // Resolve once the socket is gone, so that close() leaves nothing open behind it.
    const ended = new Promise<void>((resolve) => this.client.once("end", () => resolve()));
    const quit = this.client.quit().catch(() => undefined);
    if (!(await settleWithin(quit, CLOSE_STEP_MS))) this.client.disconnect();
    if (!(await settleWithin(ended, CLOSE_STEP_MS))) this.client.disconnect();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("the RedisStore is closed; create a new one");
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw storeError(err, operation, this.target, this.lastConnectionError());
    }
  }

  private async readJob(queue: string, id: string): Promise<JobReply> {
    const fields = [
      "id",
      "name",
      "payload",
      "queue",
      "priority",
      "maxRetries",
      "retryCount",
      "timeout",
      "scheduledAt",
      "createdAt",
      "startedAt",
      "completedAt",
      "error",
      "status",
      "metadata",
      "uniqueKey",
      "attempt",
      "lockedUntil",
      "lockedBy",
      "history",
    ];
    return this.client.hmget(this.directory.keys(queue).job(id), ...fields);
  }

  /** Turns an insert script's error reply into the error it stands for. */
  private throwInsertError(reply: readonly string[]): void {
    if (reply[0] === "unique") throw new JobAlreadyExistsError(reply[1] as string, reply[2] || null);
    if (reply[0] === "duplicate-id") {
      throw new InvalidArgumentError("id", `a job with id "${reply[1]}" already exists`);
    }
  }

  /** Pushes wake-up markers; a lost marker only delays a job until the next poll, so errors are ignored. */
  private pushWake(queues: readonly string[]): void {
    if (queues.length === 0 || this.closed) return;
    this.client
      .pipeline()
      .lpush(this.prefixKeys.wake, ...queues)
      .ltrim(this.prefixKeys.wake, 0, WAKE_LIST_LENGTH - 1)
      .exec()
      .catch(() => {});
  }
}
