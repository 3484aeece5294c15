import type { Job, JobRef, NewJobRecord, RecoveredLeases } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { claimOrder, claimShares, groupBy, oldestExpired } from "./cross-queue.js";
import { decodeClaimed, decodeJob, JOB_FIELDS, type JobReply, throwInsertError } from "./job-codec.js";
import type { OwnEvents } from "./own-events.js";
import type { QueueDirectory } from "./queue-directory.js";
import { SCRIPTS } from "./scripts.js";

/** The scripts that take `id, attempt, lockedBy` triples (the fencing token) and answer 1 or 0 for each. */
export type FencedScript = "completeJobs" | "releaseJobs" | "renewLeases";

/**
 * The store's calls that span queues. Each queue lives in its own Cluster slot, so a script sees
 * one queue: these calls run one script (or command) per queue, concurrently where the order does
 * not matter, and merge the answers (with the order math of `cross-queue.ts`). Arguments come
 * encoded for the scripts; errors are left to the store to wrap.
 */
export class QueueCalls {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly directory: QueueDirectory,
  ) {}

  /**
   * Inserts a batch: one script call per queue (`createJobs.lua`, with `args` per queue whose
   * event token, ARGV[2], is left empty and filled here), all sent at once. On a single server each
   * script also registers its queue and publishes the wake-up, so a batch costs one command per
   * queue; on a Cluster the queues this process has not registered yet are added alongside. All
   * or nothing: a batch over several queues with a unique key is first checked in every queue
   * (`checkJobs.lua`, one more round trip, nothing written), so that a held key (or a taken id)
   * refuses it before any job exists that a worker could claim; when a queue's insert still fails
   * (a key taken by another enqueue between the check and the insert, a taken id in a batch
   * without keys), the queues inserted are undone. With
   * `own` (the store has listeners), each call's jobs event reaches them at its reply (see
   * {@link OwnEvents}).
   */
  async createJobs(
    groups: ReadonlyArray<readonly [string, NewJobRecord[], string[]]>,
    own: OwnEvents | null,
  ): Promise<void> {
    // Only a unique key can be held by another job: a taken id needs a caller that makes ids twice.
    if (groups.length > 1 && groups.some(([, jobs]) => jobs.some((job) => job.uniqueKey !== null))) {
      const checks = (await Promise.all(
        groups.map(([queue, , args]) =>
          SCRIPTS.checkJobs.run(this.client, this.directory.keys(queue).scriptKeys, args),
        ),
      )) as string[][];
      for (const reply of checks) throwInsertError(reply);
    }
    const register = this.directory.registerQueues(groups.map(([queue]) => queue));
    // Awaited below, maybe only after a script failed: until then its failure is not unhandled.
    register.catch(() => {});
    const results = await Promise.allSettled(groups.map(([queue, , args]) => this.insert(queue, args, own)));
    const failure = results.find((result) => result.status === "rejected");
    if (failure !== undefined) {
      // Several queues are several slots: undo the queues inserted, so the batch is all or nothing.
      for (const [i, result] of results.entries()) {
        if (result.status === "rejected") continue;
        const [queue, group] = groups[i] as readonly [string, NewJobRecord[], string[]];
        const ids = group.map((job) => job.id);
        await SCRIPTS.removeJobs.run(this.client, this.directory.keys(queue).scriptKeys, ids).catch(() => {});
      }
      await register.catch(() => {});
      throw failure.reason;
    }
    const fresh = groups.filter((_, i) => (results[i] as PromiseFulfilledResult<boolean>).value);
    await this.directory.registerAgain(
      fresh.map(([queue]) => queue),
      await register,
    );
  }

  /**
   * Inserts one queue's jobs (`createJobs.lua` with `args`). Resolves with whether the queue was
   * new to Redis; rejects with the insert's error (`JobAlreadyExistsError`, a duplicate id).
   */
  private async insert(queue: string, args: string[], own: OwnEvents | null): Promise<boolean> {
    const token = own?.begin(queue) ?? "";
    args[1] = token;
    let reply: string[];
    try {
      reply = (await SCRIPTS.createJobs.run(
        this.client,
        this.directory.registeringKeys(this.directory.keys(queue).scriptKeys),
        args,
      )) as string[];
    } catch (err) {
      own?.failed(token);
      throw err;
    }
    own?.replied(token, queue, reply[0] === "new" || reply[0] === "ok");
    throwInsertError(reply);
    return reply[0] === "new";
  }

  /** The job `id` of whichever queue holds it, or `null`: every queue is asked in one round trip. */
  async getJob(id: string): Promise<Job | null> {
    const hit = await this.directory.find(async (queue) =>
      decodeJob(await this.client.hmget(this.directory.keys(queue).job(id), ...JOB_FIELDS)),
    );
    return hit?.found ?? null;
  }

  /** The queue that holds job `id`, or `null`: every queue is asked in one round trip. */
  async locate(id: string): Promise<string | null> {
    const hit = await this.directory.find(async (queue) =>
      (await this.client.exists(this.directory.keys(queue).job(id))) === 1 ? true : null,
    );
    return hit?.queue ?? null;
  }

  /**
   * Claims up to `limit` jobs of `queues` in the claim order. From one queue, one script call;
   * from several, each queue's due head is peeked at (for a queue under controls: the jobs its
   * claim would take), the claim order merged, and each queue claims as many jobs as it
   * contributes to the first `limit`. The jobs come in claim order when no queue has controls,
   * else queue by queue, each in its own order.
   *
   * @param now - epoch ms, as a script argument.
   * @param claimArgs - `lockedUntil` and `workerId`, as script arguments.
   * @param names - the job names to claim; empty for all.
   */
  async claim(
    queues: readonly string[],
    limit: number,
    now: string,
    claimArgs: readonly [string, string],
    names: readonly string[],
  ): Promise<Job[]> {
    if (queues.length === 0) return [];
    let shares: Array<[string, number]> = [[queues[0] as string, limit]];
    // Whether every queue peeked at is claimed in plain claim order (none has controls or groups).
    let plain = true;
    if (queues.length > 1) {
      const peeks = (await Promise.all(
        queues.map((queue) =>
          SCRIPTS.peekDueJobs.run(this.client, this.directory.keys(queue).scriptKeys, [
            now,
            String(limit),
            ...names,
          ]),
        ),
      )) as string[][];
      plain = peeks.every((peek) => peek[0] === "plain");
      shares = claimShares(
        queues,
        peeks.map((peek) => peek.slice(1)),
        limit,
      );
    }
    const replies = (await Promise.all(
      shares.map(([queue, count]) =>
        SCRIPTS.claimDueJobs.run(this.client, this.directory.keys(queue).scriptKeys, [
          now,
          ...claimArgs,
          String(count),
          ...names,
        ]),
      ),
    )) as Array<string | JobReply[]>;
    const claimed = replies.flatMap((reply) => decodeClaimed(reply));
    // A queue under controls gives its jobs in its own order (rounds between its groups), kept as is.
    if (replies.length > 1 && plain) {
      claimed.sort((a, b) =>
        claimOrder(
          { priority: a.priority, scheduledAt: a.scheduledAt.getTime(), id: a.id },
          { priority: b.priority, scheduledAt: b.scheduledAt.getTime(), id: b.id },
        ),
      );
    }
    return claimed;
  }

  /**
   * Runs a {@link FencedScript} with `args`, then the refs' triples, once per queue the refs name
   * (a ref addresses its job's queue directly). Returns whether each ref was applied, in input order.
   */
  async fenced(refs: readonly JobRef[], script: FencedScript, args: readonly string[]): Promise<boolean[]> {
    const applied: boolean[] = new Array(refs.length);
    const groups = groupBy(
      refs.map((ref, index) => ({ ref, index })),
      (entry) => entry.ref.queue,
    );
    await Promise.all(
      [...groups].map(async ([queue, entries]) => {
        const triples = entries.flatMap(({ ref }) => [ref.id, String(ref.attempt), ref.lockedBy]);
        const reply = (await SCRIPTS[script].run(this.client, this.directory.keys(queue).scriptKeys, [
          ...args,
          ...triples,
        ])) as number[];
        entries.forEach((entry, i) => {
          applied[entry.index] = reply[i] === 1;
        });
      }),
    );
    return applied;
  }

  /**
   * Recovers the `limit` leases expired longest ago: each queue's expired leases are read (one
   * round trip over all queues), the oldest chosen, and each queue's share recovered by one
   * script (`recoverExpiredLeases.lua` with `args`), which checks each job again and inserts the
   * dead-letter jobs of the jobs it makes dead. Both lists in the order chosen.
   *
   * @param now - epoch ms, as a script argument.
   */
  async recoverExpired(now: string, limit: number, args: readonly string[]): Promise<RecoveredLeases> {
    // The cached list (at most a second old) serves: a queue it misses is recovered next time.
    const queues = await this.directory.queues(false);
    const scans = await Promise.all(
      queues.map((queue) =>
        this.client.zrangebyscore(
          this.directory.keys(queue).running,
          "-inf",
          now,
          "WITHSCORES",
          "LIMIT",
          0,
          limit,
        ),
      ),
    );
    const chosen = oldestExpired(queues, scans, limit);
    const replies = (await Promise.all(
      [...groupBy(chosen, (lease) => lease.queue)].map(([queue, leases]) =>
        SCRIPTS.recoverExpiredLeases.run(this.client, this.directory.keys(queue).scriptKeys, [
          ...args,
          ...leases.map((lease) => lease.id),
        ]),
      ),
    )) as Array<[string[], JobReply[]]>;
    const recovered = new Set(replies.flatMap(([ids]) => ids));
    const dead = new Map<string, Job>();
    for (const [, rows] of replies) {
      for (const row of rows) {
        const job = decodeJob(row) as Job;
        dead.set(job.id, job);
      }
    }
    // Both in the order chosen: longest expired first.
    return {
      recovered: chosen.filter((lease) => recovered.has(lease.id)).map((lease) => lease.id),
      dead: chosen.filter((lease) => dead.has(lease.id)).map((lease) => dead.get(lease.id) as Job),
    };
  }

  /** The earliest time a waiting job of `names` (empty: any) in `queues` is due, or `null`. */
  async nextDueAt(queues: readonly string[], names: readonly string[]): Promise<Date | null> {
    const replies = await Promise.all(
      queues.map((queue) => SCRIPTS.nextDueAt.run(this.client, this.directory.keys(queue).scriptKeys, names)),
    );
    let earliest: number | null = null;
    for (const reply of replies) {
      if (reply === null) continue;
      const at = Number(reply);
      if (earliest === null || at < earliest) earliest = at;
    }
    return earliest === null ? null : new Date(earliest);
  }

  /**
   * Up to `limit` names of jobs in `queues` due by `dueBy` (epoch ms), one script per queue
   * looking at the heads of at most `lanesPerQueue` lanes (job names) of the queue.
   */
  async waitingJobNames(
    queues: readonly string[],
    dueBy: string,
    limit: number,
    lanesPerQueue: number,
  ): Promise<string[]> {
    const replies = (await Promise.all(
      queues.map((queue) =>
        SCRIPTS.waitingJobNames.run(this.client, this.directory.keys(queue).scriptKeys, [
          dueBy,
          String(limit),
          String(lanesPerQueue),
        ]),
      ),
    )) as string[][];
    return [...new Set(replies.flat())].slice(0, limit);
  }
}
