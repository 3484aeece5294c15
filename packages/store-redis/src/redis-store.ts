import { randomUUID } from "node:crypto";
import {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreatedAndClaimed,
  type CreateJobsOptions,
  type DedupeOptions,
  type DedupeResult,
  type FailOptions,
  type FireResult,
  type InstanceRecord,
  InvalidArgumentError,
  insertedJob,
  type Job,
  JobAlreadyExistsError,
  type JobFilter,
  type JobPage,
  type JobRef,
  type JobSelector,
  MAX_HISTORY,
  type NewJobRecord,
  type NextDueOptions,
  type QueuePatch,
  type QueueRecord,
  type RateLimitJobOptions,
  type RecoveredLeases,
  type RecoverOptions,
  type ReleaseOptions,
  type RequeueResult,
  readOptions,
  type SaveScheduleOptions,
  type ScheduleRecord,
  type ScheduleTick,
  type Stats,
  type Store,
  type StoreCapabilities,
  StoreClosedError,
  type StoreEvent,
  StoreTimeoutError,
  type ThroughputQuery,
  type ThroughputSample,
  type WaitingNamesOptions,
} from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import { accessError, isPermissionError } from "./access-error.js";
import {
  answerWithin,
  closeClient,
  commandTimeoutOf,
  openConnection,
  type RedisConnection,
  storeError,
  timeoutError,
} from "./connection/index.js";
import { compareIds, groupBy } from "./cross-queue.js";
import { EventSubscriber } from "./event-subscriber.js";
import { RedisInspection } from "./inspection.js";
import {
  decodeClaimed,
  decodeJob,
  encodeDeadLetter,
  encodeNewJob,
  epochMs,
  type JobReply,
  throwInsertError,
} from "./job-codec.js";
import { JobListing } from "./job-listing.js";
import { PrefixKeys } from "./keys.js";
import { type RedisStoreOptions, resolveStoreOptions, SENTINEL_NAME_OPTION } from "./options.js";
import type { OwnEvents } from "./own-events.js";
import { RedisPresence } from "./presence.js";
import { QueueCalls } from "./queue-calls.js";
import { decodeQueueRecord, encodeDedupe, encodeQueuePatch, pairsToHash } from "./queue-controls.js";
import { QueueDirectory } from "./queue-directory.js";
import { awaitReplicas, type ReplicaWait } from "./replication.js";
import { RedisSchedules } from "./schedules.js";
import { SCRIPTS } from "./scripts.js";
import { ThroughputHistory } from "./throughput-history.js";

/** How a client the store makes from `url` behaves, besides its `commandTimeout`. */
const OWNED_CLIENT = {
  // Fail a command after two reconnection attempts instead of queueing it for ever: the
  // scheduler's loop backs off and retries, and callers get a clear error.
  maxRetriesPerRequest: 2,
  connectTimeoutMs: 5_000,
} as const;
/** The most lanes (job names) of one queue `waitingJobNames` looks at. */
const NAMES_BUDGET = 1_000;

/**
 * A {@link Store} on Redis 7 (single node or Cluster). Every change that touches more than one key
 * is one Lua script (`scripts/*.lua`), called by SHA. Every key starts with the prefix; the keys
 * of a queue share the hash tag `{<queue>}` after it, so each queue lives in one Cluster slot.
 * Calls about one queue (a claim of one queue, everything done with a `JobRef`) are one script
 * call; calls across queues (claims of several queues, stats, listJobs, cleanup) run per queue and
 * are merged in the client. The scripts publish the store's events on the channel `<prefix>events`, which
 * one dedicated connection per store subscribes to. See the README for the keys and the rights a
 * Redis user needs.
 */
export class RedisStore implements Store {
  /**
   * No application transactions; pub/sub pushes events between instances. `largeClaims`: each
   * claim is one script call whose fixed cost (the write and read of the call on both sides, the
   * script's lookups of the queue's lanes) is about that of 20-30 jobs, so claims that take the
   * prefetch too go faster (the default `claimBatchSize` is then `max(workers + min(prefetch,
   * workers), 50)`).
   */
  readonly capabilities: StoreCapabilities = { transactions: false, pushedEvents: true, largeClaims: true };

  private readonly client: Redis | Cluster;
  private readonly connection: RedisConnection;
  private readonly prefixKeys: PrefixKeys;
  private readonly directory: QueueDirectory;
  private readonly queueCalls: QueueCalls;
  private readonly schedules: RedisSchedules;
  private readonly inspection: RedisInspection;
  private readonly listing: JobListing;
  private readonly presence: RedisPresence;
  private readonly history: ThroughputHistory;
  private readonly ttlSeconds: string;
  private readonly commandTimeoutMs: number;
  /** `waitForReplicas`, checked; `null` when writes are not waited for. */
  private readonly replicaWait: ReplicaWait | null;
  private events: EventSubscriber | null = null;
  /** The epoch this store last read, `null` before the first. */
  private knownEpoch: string | null = null;
  private closed = false;

  /**
   * Creates the store. Opens no connection until the first call.
   *
   * @throws ConfigError naming an option it does not know, or `keyPrefix`, `url`, `client`, `db`,
   *   `finishedJobTtl` or `commandTimeout` when invalid.
   */
  constructor(options: RedisStoreOptions = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const resolved = resolveStoreOptions(readOptions(options, "", "option"));
    const prefix = resolved.keyPrefix;
    this.connection = openConnection(
      resolved.connection,
      { ...OWNED_CLIENT, commandTimeoutMs: resolved.commandTimeoutMs },
      SENTINEL_NAME_OPTION,
    );
    this.replicaWait = resolved.replicaWait;
    this.client = this.connection.client;
    this.prefixKeys = new PrefixKeys(prefix);
    this.directory = new QueueDirectory(this.client, this.prefixKeys);
    this.queueCalls = new QueueCalls(this.client, this.directory);
    this.schedules = new RedisSchedules(this.client, this.prefixKeys, this.directory);
    this.inspection = new RedisInspection(this.client, this.directory);
    this.listing = new JobListing(this.client, this.directory);
    this.presence = new RedisPresence(this.client, this.prefixKeys);
    this.history = new ThroughputHistory(this.client, this.prefixKeys);
    this.ttlSeconds = String(resolved.finishedJobTtlSeconds);
    this.commandTimeoutMs = resolved.commandTimeoutMs;
  }

  /** The prefix of every key of this store. */
  get keyPrefix(): string {
    return this.prefixKeys.prefix;
  }

  /** The ioredis client the store sends commands on. */
  get redis(): Redis | Cluster {
    return this.client;
  }

  /**
   * {@inheritDoc Store.describeServer}
   *
   * `Redis at host:port` (the primaries of a Cluster, or the primary's name and its Sentinels), as
   * the store's errors name it (never a password or the URL).
   */
  describeServer(): string {
    return `Redis at ${this.connection.server().address}`;
  }

  /**
   * {@inheritDoc Store.createJobs}
   *
   * One command per queue: a script that inserts the queue's jobs, adds the queue to the prefix's
   * queue set and publishes the jobs event (the calls for several queues are sent together). On
   * a Cluster the queue set lives in another slot: the first enqueue to a queue in this process
   * also adds the queue to it, with a command of its own sent alongside.
   */
  async createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions): Promise<Job[]> {
    this.assertOpen();
    if (options?.transaction !== undefined) {
      throw new InvalidArgumentError(
        "transaction",
        "the Redis store cannot join a transaction; enqueue without one",
      );
    }
    if (jobs.length === 0) return [];
    const groups = [...groupBy(jobs, (job) => job.queue)].map(([queue, group]) => {
      // The event token (ARGV[2]) is filled in when the call is sent.
      const args = ["reject", ""];
      for (const job of group) encodeNewJob(job, args);
      return [queue, group, args] as const;
    });
    // Built with the payloads just encoded: what is returned is what is stored, whatever the caller
    // does to its objects while the call is out.
    const created = jobs.map((job) => insertedJob(job));
    return this.call("createJobs", async () => {
      await this.queueCalls.createJobs(groups, this.ownEvents());
      await this.replicated("createJobs");
      return created;
    });
  }

  /**
   * {@inheritDoc @sched/core#Store.createJobsAndClaim}
   *
   * When every job goes to one queue and the claim covers that queue alone (`queues` naming only
   * it, or `null` while the queues known to the store are that one: the list `claimDueJobs` uses,
   * not waited for when over a second old but read again alongside), this is one command: a
   * script (`createJobsAndClaim.lua`) that inserts the jobs as `createJobs` does, registers the
   * queue, then claims from it as `claimDueJobs` does (the same Lua, `scripts/includes/claim.lua`,
   * older jobs and queue controls included). A held `uniqueKey` ends the script before the claim:
   * nothing is inserted, nothing is leased. The script publishes the queue's `jobs` event only
   * when a new job is left waiting (not claimed); this store's listeners hear it at the reply,
   * once (see `OwnEvents`). A batch over several queues, or a claim that spans other queues (a
   * queue is a Cluster slot of its own), is `createJobs` then `claimDueJobs`: two round trips or
   * more, with the events of `createJobs`.
   *
   * @throws JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) for a held unique key: nothing inserted or
   *   claimed. InvalidArgumentError (`INVALID_ARGUMENT`) for a job id that exists or a payload
   *   that is not JSON. StoreError (`STORE_ERROR`) naming `createJobsAndClaim` when Redis fails,
   *   StoreTimeoutError past `commandTimeout`.
   */
  async createJobsAndClaim(jobs: NewJobRecord[], claim: ClaimOptions): Promise<CreatedAndClaimed> {
    this.assertOpen();
    const queue = jobs[0]?.queue;
    const oneQueue =
      queue !== undefined &&
      claim.limit > 0 &&
      claim.names?.length !== 0 &&
      jobs.every((job) => job.queue === queue) &&
      (claim.queues === null || (claim.queues.length > 0 && claim.queues.every((q) => q === queue)));
    if (oneQueue) {
      const now = String(epochMs(claim.now, "now"));
      const lockedUntil = String(epochMs(claim.lockedUntil, "lockedUntil"));
      const names = claim.names === null ? [] : [...new Set(claim.names)];
      // The event token (ARGV[5]) is filled in when the call is sent.
      const args = [now, lockedUntil, claim.workerId, String(claim.limit), "", String(jobs.length)];
      for (const job of jobs) encodeNewJob(job, args);
      for (const name of names) args.push(name);
      // As in createJobs: built with the payloads just encoded.
      const created = jobs.map((job) => insertedJob(job));
      const claimed = await this.call("createJobsAndClaim", async () => {
        // Any other queue known makes the claim span queues (slots): not one script.
        if (claim.queues === null) {
          const known = this.directory.queuesAtOnce() ?? (await this.directory.queues(false));
          if (known.some((q) => q !== queue)) return null;
        }
        return this.insertAndClaim(queue, args);
      });
      if (claimed !== null) return { jobs: created, claimed };
    }
    const created = await this.createJobs(jobs);
    return { jobs: created, claimed: await this.claimDueJobs(claim) };
  }

  /** {@inheritDoc Store.getJob} */
  async getJob(id: string): Promise<Job | null> {
    this.assertOpen();
    return this.call("getJob", () => this.queueCalls.getJob(id));
  }

  /**
   * {@inheritDoc Store.cancelJob}
   *
   * The job is looked for in every queue (one round trip), then cancelled by one script, which
   * publishes the cancelled event of a running job.
   */
  async cancelJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    return this.call("cancelJob", async () => {
      const queue = await this.queueCalls.locate(id);
      if (queue === null) return null;
      const reply = await SCRIPTS.cancelJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        id,
        nowMs,
        this.ttlSeconds,
      ]);
      await this.replicated("cancelJob");
      return decodeJob(reply as JobReply | null);
    });
  }

  /** {@inheritDoc Store.requeueJob} */
  async requeueJob(id: string, now: Date): Promise<RequeueResult | null> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    return this.call("requeueJob", async () => {
      const queue = await this.queueCalls.locate(id);
      if (queue === null) return null;
      const reply = (await SCRIPTS.requeueJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        id,
        nowMs,
      ])) as [string, number | string, JobReply | string] | null;
      if (reply === null) return null;
      await this.replicated("requeueJob");
      if (reply[0] === "unique")
        throw new JobAlreadyExistsError(reply[1] as string, (reply[2] as string) || null, queue);
      const job = decodeJob(reply[2] as JobReply);
      return job === null ? null : { requeued: reply[1] === 1, job };
    });
  }

  /**
   * {@inheritDoc Store.claimDueJobs}
   *
   * A claim of one queue is one script call. Within a queue the waiting jobs of each name are a
   * lane of their own, and the script looks only at the lanes of `names`: jobs of other names are
   * never read, so any number of them cost a claim nothing (see the README). A claim of several
   * queues peeks at each queue's due head, merges the claim order, then claims from each queue as
   * many jobs as it contributes to the first `limit`.
   */
  async claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const lockedUntil = String(epochMs(options.lockedUntil, "lockedUntil"));
    const { limit, workerId } = options;
    if (!(limit > 0) || options.names?.length === 0) return [];
    const names = options.names === null ? [] : [...new Set(options.names)];
    return this.call("claimDueJobs", async () => {
      const queues =
        options.queues === null ? await this.directory.queues(false) : [...new Set(options.queues)];
      return this.queueCalls.claim(queues, limit, now, [lockedUntil, workerId], names);
    });
  }

  /** {@inheritDoc Store.completeJobs} */
  async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const remove = options.removeOnComplete ? "1" : "0";
    if (refs.length === 0) return [];
    return this.call("completeJobs", () =>
      this.queueCalls.fenced(refs, "completeJobs", [now, remove, this.ttlSeconds]),
    );
  }

  /** {@inheritDoc Store.failJob} */
  async failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const retryAt = options.retryAt === null ? "" : String(epochMs(options.retryAt, "retryAt"));
    const deadLetter = encodeDeadLetter(options.retryAt === null ? options.deadLetter : null);
    return this.call("failJob", async () => {
      const reply = await SCRIPTS.failJob.run(this.client, this.directory.keys(ref.queue).scriptKeys, [
        ref.id,
        String(ref.attempt),
        ref.lockedBy,
        now,
        options.error,
        retryAt,
        this.ttlSeconds,
        String(MAX_HISTORY),
        ...deadLetter,
      ]);
      return decodeJob(reply as JobReply | null);
    });
  }

  /** {@inheritDoc Store.releaseJobs} */
  async releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    if (refs.length === 0) return [];
    return this.call("releaseJobs", () => this.queueCalls.fenced(refs, "releaseJobs", [now]));
  }

  /** {@inheritDoc Store.renewLeases} */
  async renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    this.assertOpen();
    const until = String(epochMs(lockedUntil, "lockedUntil"));
    if (refs.length === 0) return [];
    return this.call("renewLeases", async () => {
      const renewed = await this.queueCalls.fenced(refs, "renewLeases", [until]);
      return refs.filter((_, i) => !renewed[i]).map((ref) => ref.id);
    });
  }

  /**
   * {@inheritDoc Store.recoverExpiredLeases}
   *
   * Each queue's expired leases are read (one round trip over all queues), the oldest `limit`
   * chosen, and each queue's share recovered by one script, which checks each job again and
   * inserts the dead-letter jobs of the jobs it makes dead.
   */
  async recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases> {
    this.assertOpen();
    const now = String(epochMs(options.now, "now"));
    const { limit } = options;
    if (!(limit > 0)) return { recovered: [], dead: [] };
    const args = [
      now,
      options.error,
      String(MAX_HISTORY),
      String(options.maxLostLeases),
      this.ttlSeconds,
      ...encodeDeadLetter(options.deadLetter),
    ];
    return this.call("recoverExpiredLeases", () => this.queueCalls.recoverExpired(now, limit, args));
  }

  /** {@inheritDoc Store.nextDueAt} */
  async nextDueAt(options: NextDueOptions): Promise<Date | null> {
    this.assertOpen();
    if (options.names?.length === 0) return null;
    const names = options.names === null ? [] : [...new Set(options.names)];
    return this.call("nextDueAt", async () => {
      const queues =
        options.queues === null ? await this.directory.queues(false) : [...new Set(options.queues)];
      return this.queueCalls.nextDueAt(queues, names);
    });
  }

  /**
   * {@inheritDoc Store.waitingJobNames}
   *
   * One script per queue looks at the heads of at most 1,000 lanes (job names) of the queue.
   */
  async waitingJobNames(options: WaitingNamesOptions): Promise<string[]> {
    this.assertOpen();
    const dueBy = String(epochMs(options.dueBy, "dueBy"));
    const { limit } = options;
    if (!(limit > 0)) return [];
    return this.call("waitingJobNames", async () => {
      const queues =
        options.queues === null ? await this.directory.queues(false) : [...new Set(options.queues)];
      return this.queueCalls.waitingJobNames(queues, dueBy, limit, NAMES_BUDGET);
    });
  }

  /**
   * {@inheritDoc Store.createDedupedJob}
   *
   * One script on the queue's keys: the window (`Q:dedupe`, key → its job, opening and end) is
   * read and the job inserted, or the window's job updated, in one step, so of concurrent callers
   * with one key exactly one inserts. The script also registers the queue and publishes the jobs
   * event (on a Cluster the queue is registered as by `createJobs`).
   */
  async createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult> {
    this.assertOpen();
    // The event token (ARGV[6]) is filled in when the call is sent.
    const args = [String(epochMs(now, "now")), ...encodeDedupe(dedupe), ""];
    encodeNewJob(job, args);
    return this.call("createDedupedJob", async () => {
      const register = this.directory.registerQueues([job.queue]);
      register.catch(() => {});
      const own = this.ownEvents();
      const token = own?.begin(job.queue) ?? "";
      args[5] = token;
      let reply: [string, DedupeResult["outcome"], string, JobReply | null];
      try {
        reply = (await SCRIPTS.createDedupedJob.run(
          this.client,
          this.directory.registeringKeys(this.directory.keys(job.queue).scriptKeys),
          args,
        )) as [string, DedupeResult["outcome"], string, JobReply | null];
      } catch (err) {
        own?.failed(token);
        throw err;
      }
      const inserted = reply[0] === "ok" || reply[0] === "new";
      const found = inserted ? decodeJob(reply[3]) : null;
      // The script published when it inserted the job, or made the window's job pending.
      own?.replied(
        token,
        job.queue,
        inserted && (reply[1] === "created" || (reply[1] === "debounced" && found?.status === "pending")),
      );
      await register.catch(() => {});
      throwInsertError(reply);
      await this.directory.registerAgain(reply[0] === "new" ? [job.queue] : [], await register);
      await this.replicated("createDedupedJob");
      return { outcome: reply[1], jobId: reply[2], job: found };
    });
  }

  /**
   * {@inheritDoc Store.updateQueue}
   *
   * One script writes the queue's `Q:control` hash and publishes the wake-up; the queue joins the
   * prefix's queue set, so that `listQueues` finds it before it ever held a job.
   */
  async updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord> {
    this.assertOpen();
    const args = [String(epochMs(now, "now")), ...encodeQueuePatch(patch)];
    return this.call("updateQueue", async () => {
      const register = this.directory.registerQueues([name]);
      register.catch(() => {});
      const reply = (await SCRIPTS.updateQueue.run(
        this.client,
        this.directory.registeringKeys(this.directory.keys(name).scriptKeys),
        args,
      )) as [number, string[]];
      await this.directory.registerAgain(reply[0] === 1 ? [name] : [], await register);
      await this.replicated("updateQueue");
      return decodeQueueRecord(name, pairsToHash(reply[1])) as QueueRecord;
    });
  }

  /** {@inheritDoc Store.getQueue} */
  async getQueue(name: string): Promise<QueueRecord | null> {
    this.assertOpen();
    return this.call("getQueue", async () =>
      decodeQueueRecord(name, await this.client.hgetall(this.directory.keys(name).control)),
    );
  }

  /**
   * {@inheritDoc Store.listQueues}
   *
   * Reads the `Q:control` hash of every queue of the prefix's queue set (one round trip).
   */
  async listQueues(): Promise<QueueRecord[]> {
    this.assertOpen();
    return this.call("listQueues", async () => {
      const queues = await this.directory.queues(true);
      const hashes = await Promise.all(
        queues.map((queue) => this.client.hgetall(this.directory.keys(queue).control)),
      );
      const records: QueueRecord[] = [];
      hashes.forEach((hash, i) => {
        const record = decodeQueueRecord(queues[i] as string, hash);
        if (record !== null) records.push(record);
      });
      return records.sort((a, b) => compareIds(a.name, b.name));
    });
  }

  /**
   * {@inheritDoc Store.rateLimitJob}
   *
   * One script on the job's queue: the fenced hand-back and the push-back of the queue
   * (`Q:control`) or of the group (`Q:glimited`) are one step.
   */
  async rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean> {
    this.assertOpen();
    const args = [
      ref.id,
      String(ref.attempt),
      ref.lockedBy,
      String(epochMs(options.now, "now")),
      String(epochMs(options.until, "until")),
      options.scope,
    ];
    return this.call("rateLimitJob", async () => {
      const reply = await SCRIPTS.rateLimitJob.run(
        this.client,
        this.directory.keys(ref.queue).scriptKeys,
        args,
      );
      return reply === 1;
    });
  }

  /** {@inheritDoc Store.saveSchedule} */
  async saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    this.assertOpen();
    return this.call("saveSchedule", async () => {
      const saved = await this.schedules.save(schedule, options);
      await this.replicated("saveSchedule");
      return saved;
    });
  }

  /** {@inheritDoc Store.getSchedule} */
  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    this.assertOpen();
    return this.call("getSchedule", () => this.schedules.get(name));
  }

  /** {@inheritDoc Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    this.assertOpen();
    return this.call("listSchedules", () => this.schedules.list());
  }

  /** {@inheritDoc Store.deleteSchedule} */
  async deleteSchedule(name: string): Promise<boolean> {
    this.assertOpen();
    return this.call("deleteSchedule", async () => {
      const deleted = await this.schedules.delete(name);
      await this.replicated("deleteSchedule");
      return deleted;
    });
  }

  /** {@inheritDoc Store.fireScheduleTick} */
  async fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    this.assertOpen();
    return this.call("fireScheduleTick", () => this.schedules.fire(tick));
  }

  /**
   * {@inheritDoc Store.listJobs}
   *
   * Each queue keeps a listing index per status (`Q:listed:<status>`, ids scored by `createdAt`);
   * a page asks each queue for at most the jobs it still lacks after the cursor (one script per
   * queue, a rank lookup then a read in order), merges them and reads the jobs that made the page.
   * A `name` or `group` filter is checked job by job within the selected indexes.
   */
  async listJobs(filter: JobFilter): Promise<JobPage> {
    this.assertOpen();
    return this.call("listJobs", () => this.listing.listJobs(filter));
  }

  /**
   * {@inheritDoc Store.retryJobs}
   *
   * Scripts of at most 500 index entries each, per queue and per final status selected.
   */
  async retryJobs(selector: JobSelector, now: Date): Promise<number> {
    this.assertOpen();
    return this.call("retryJobs", async () => {
      const moved = await this.listing.retryJobs(selector, now);
      await this.replicated("retryJobs");
      return moved;
    });
  }

  /**
   * {@inheritDoc Store.deleteJobs}
   *
   * Scripts of at most 500 index entries each, per queue and per status selected.
   */
  async deleteJobs(selector: JobSelector): Promise<number> {
    this.assertOpen();
    return this.call("deleteJobs", async () => {
      const deleted = await this.listing.deleteJobs(selector);
      await this.replicated("deleteJobs");
      return deleted;
    });
  }

  /** {@inheritDoc Store.deleteJob} */
  async deleteJob(id: string): Promise<Job | null> {
    this.assertOpen();
    return this.call("deleteJob", async () => {
      const queue = await this.queueCalls.locate(id);
      if (queue === null) return null;
      const reply = await SCRIPTS.deleteJob.run(this.client, this.directory.keys(queue).scriptKeys, [id]);
      await this.replicated("deleteJob");
      return decodeJob(reply as JobReply | null);
    });
  }

  /** {@inheritDoc Store.promoteJob} */
  async promoteJob(id: string, now: Date): Promise<Job | null> {
    this.assertOpen();
    const nowMs = String(epochMs(now, "now"));
    return this.call("promoteJob", async () => {
      const queue = await this.queueCalls.locate(id);
      if (queue === null) return null;
      const reply = await SCRIPTS.promoteJob.run(this.client, this.directory.keys(queue).scriptKeys, [
        id,
        nowMs,
      ]);
      await this.replicated("promoteJob");
      return decodeJob(reply as JobReply | null);
    });
  }

  /** {@inheritDoc Store.saveInstance} */
  async saveInstance(instance: InstanceRecord): Promise<void> {
    this.assertOpen();
    return this.call("saveInstance", () => this.presence.save(instance));
  }

  /** {@inheritDoc Store.removeInstance} */
  async removeInstance(id: string): Promise<boolean> {
    this.assertOpen();
    return this.call("removeInstance", () => this.presence.remove(id));
  }

  /** {@inheritDoc Store.listInstances} */
  async listInstances(now: Date): Promise<InstanceRecord[]> {
    this.assertOpen();
    return this.call("listInstances", () => this.presence.list(now));
  }

  /** {@inheritDoc Store.addThroughput} */
  async addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    this.assertOpen();
    return this.call("addThroughput", () => this.history.add(samples, keepSince));
  }

  /** {@inheritDoc Store.throughput} */
  async throughput(query: ThroughputQuery): Promise<ThroughputSample[]> {
    this.assertOpen();
    return this.call("throughput", () => this.history.query(query));
  }

  /** {@inheritDoc Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    this.assertOpen();
    return this.call("cleanup", () => this.inspection.cleanup(options));
  }

  /** {@inheritDoc Store.stats} */
  async stats(): Promise<Stats> {
    this.assertOpen();
    return this.call("stats", () => this.inspection.stats());
  }

  /**
   * {@inheritDoc Store.ping}
   *
   * Runs a script that reads and writes keys of the prefix and publishes on its channel, so a
   * Redis user without the rights the store needs fails here, at the scheduler's `start()`, with
   * a `StoreError` naming the prefix and the server's `NOPERM` reason.
   */
  async ping(): Promise<void> {
    this.assertOpen();
    await this.call("ping", async () => {
      await SCRIPTS.ping.run(
        this.client,
        [this.prefixKeys.queues, this.prefixKeys.probe],
        [this.prefixKeys.channel],
      );
    });
  }

  /**
   * {@inheritDoc Store.epoch}
   *
   * The id is kept in the key `<prefix>{#<prefix>}:epoch`, created by one script (`SET NX`, then
   * `GET`), so it is lost with the data. On a Cluster that key lives in one slot: a loss confined
   * to other nodes (one primary failing over to an empty replica) leaves it, and is not noticed
   * here (see the README). A new epoch also makes this store forget the queues it knew.
   */
  async epoch(): Promise<string> {
    this.assertOpen();
    return this.call("epoch", async () => {
      const epoch = String(await SCRIPTS.epoch.run(this.client, [this.prefixKeys.epoch], [randomUUID()]));
      if (this.knownEpoch !== null && this.knownEpoch !== epoch) this.directory.forget();
      this.knownEpoch = epoch;
      return epoch;
    });
  }

  /**
   * Calls `listener` with every event of the prefix, from every instance: `{ type: "jobs", queue }`
   * when jobs may have become available in `queue` (enqueued, made by a tick, retried, requeued,
   * released or recovered), `{ type: "cancelled", id, queue, attempt }` when a running job was
   * cancelled, and `{ type: "connected" }` when the event connection has subscribed again after it
   * was lost (events of the outage were lost with it). The scripts that make those changes publish
   * them on `<prefix>events`; the first subscriber opens one connection (a `duplicate()` of the
   * client) subscribed to it, the last unsubscribe closes it. Returns an unsubscribe function.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    if (this.closed) return () => {};
    this.events ??= new EventSubscriber(
      this.client,
      this.prefixKeys.channel,
      this.commandTimeoutMs,
      (event) => {
        if (event.type === "jobs") this.directory.noteQueues([event.queue]);
        // Redis may have lost the queue set during the outage (a restart without persistence).
        if (event.type === "connected") this.directory.forget();
      },
    );
    return this.events.add(listener);
  }

  /**
   * Stops events and closes the client the store created (a client passed in stays open).
   * Idempotent. Resolves within about 1.5 s whatever the server does: a `QUIT` not answered within
   * a second (the server hangs) is followed by a disconnect, whose socket ioredis destroys half a
   * second later.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Every wait below is bounded: after a server restart, a killed connection or while the server
    // hangs, a reply or an 'end' event may never come, and close() must finish whatever state the
    // server is in.
    const events = this.events;
    this.events = null;
    await Promise.all([events?.stop(), this.connection.owned ? closeClient(this.client) : undefined]);
  }

  /**
   * Runs `createJobsAndClaim.lua` on `queue` with `args` (its event token, ARGV[5], filled in
   * here); returns the claimed jobs, or throws the insert's error (nothing inserted or claimed).
   */
  private async insertAndClaim(queue: string, args: string[]): Promise<Job[]> {
    const register = this.directory.registerQueues([queue]);
    // Awaited below, maybe only after the script failed: until then its failure is not unhandled.
    register.catch(() => {});
    const own = this.ownEvents();
    const token = own?.begin(queue) ?? "";
    args[4] = token;
    let reply: [string, number, string | JobReply[]] | string[];
    try {
      reply = (await SCRIPTS.createJobsAndClaim.run(
        this.client,
        this.directory.registeringKeys(this.directory.keys(queue).scriptKeys),
        args,
      )) as [string, number, string | JobReply[]] | string[];
    } catch (err) {
      own?.failed(token);
      throw err;
    }
    const inserted = reply[0] === "ok" || reply[0] === "new";
    // The script published only when a new job was left waiting.
    own?.replied(token, queue, inserted && reply[1] === 1);
    await register.catch(() => {});
    throwInsertError(reply);
    await this.directory.registerAgain(reply[0] === "new" ? [queue] : [], await register);
    await this.replicated("createJobsAndClaim");
    return decodeClaimed(reply[2] as string | JobReply[]);
  }

  /** The follower of this store's own events while it has listeners, else `null` (no token is sent). */
  private ownEvents(): OwnEvents | null {
    return this.events?.listening ? this.events.own : null;
  }

  /**
   * With `waitForReplicas`, waits until enough replicas have the writes of this connection (see
   * `awaitReplicas`): called after the writes a caller is told succeeded. The worker's writes
   * (claims, acknowledgements, lease renewals, recoveries, schedule ticks) are not waited for: a
   * failover that loses one is repaired by lease recovery and at-least-once delivery (see the README).
   */
  private async replicated(operation: string): Promise<void> {
    if (this.replicaWait === null) return;
    // Not a Cluster: checkWaitForReplicas refuses one, and the store makes none itself.
    await awaitReplicas(
      this.client as Redis,
      this.replicaWait,
      operation,
      () => this.connection.server().address,
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError("the RedisStore is closed");
  }

  /**
   * Runs one call of the store, `operation`: bounded by `commandTimeout` as a whole (a
   * `StoreTimeoutError` past it), its failures wrapped as `StoreError`s that name the server and
   * never a secret.
   */
  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const work = (async () => {
      // Right after subscribe(), let its SUBSCRIBE land first, so that its listeners hear this change.
      const subscribing = this.events?.untilSubscribed();
      if (subscribing) await subscribing;
      return run();
    })();
    try {
      return await answerWithin(work, this.commandTimeoutMs, () =>
        timeoutError(operation, this.commandTimeoutMs, this.connection),
      );
    } catch (err) {
      // close() began while the call was under way: a command it sent after the QUIT failed with
      // "Connection is closed", which says nothing more than that.
      if (this.closed && !(err instanceof StoreTimeoutError))
        throw new StoreClosedError("the RedisStore is closed");
      if (isPermissionError(err)) throw accessError(err, this.prefixKeys.prefix, this.connection.server());
      const timeoutMs = this.commandTimeoutMs || commandTimeoutOf(this.client);
      throw storeError(err, operation, this.connection, timeoutMs);
    }
  }
}
