import { randomUUID } from "node:crypto";
import {
  type ClaimOptions,
  type CleanupOptions,
  type CompleteOptions,
  type CreateJobsOptions,
  type DedupeOptions,
  type DedupeResult,
  type FailOptions,
  type FireResult,
  type InstanceRecord,
  InvalidArgumentError,
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
  settlesWithin,
  type ThroughputQuery,
  type ThroughputSample,
  type WaitingNamesOptions,
} from "@sched/core/adapter";
import type { ClientSession, UpdateFilter } from "mongodb";
import { deleteJobs, retryJobs } from "./bulk-operations.js";
import { collectionsOf, createIndexes, type StoreCollections } from "./collections.js";
import {
  answerWithin,
  closeConnection,
  type DeploymentFeatures,
  isDuplicateKeyError,
  type MongoConnection,
  openConnection,
  probeDeployment,
  storeError,
} from "./connection/index.js";
import { ClaimLock } from "./controls/claim-lock.js";
import { type ControlledClaimAccess, claimControlledQueue } from "./controls/controlled-claim.js";
import { createDedupedJob, type DedupeAccess } from "./controls/dedupe-windows.js";
import {
  controlledQueueNames,
  ensureControlled,
  getQueue,
  listQueues,
  pausedQueueNames,
  pushBackGroup,
  pushBackQueue,
  updateQueue,
} from "./controls/queue-controls.js";
import { documentIdOf, type JobDocument, jobDocumentOf, jobOf, STAGED, scheduleOf } from "./documents.js";
import { applyFenced, currentAttemptFilter } from "./fenced-writes.js";
import { cleanup, stats, waitingFilter, waitingJobNames } from "./inspection.js";
import { claimPlainJobs, claimShares } from "./job-claims.js";
import {
  conflictOf,
  insertBatch,
  insertDeadLetter,
  type JobAccess,
  refuseHeldKeys,
  refuseKeysTwiceInBatch,
} from "./job-inserts.js";
import { listJobPage } from "./job-listing.js";
import { type MongoStoreOptions, type ResolvedStoreOptions, resolveStoreOptions } from "./options.js";
import { listInstances, type PresenceAccess, removeInstance, saveInstance } from "./presence.js";
import { fireScheduleTick, saveSchedule } from "./schedules.js";
import { addThroughput, type ThroughputAccess, throughput } from "./throughput-history.js";
import { FIRST_WATCH_WAIT_MS, WakeUps } from "./wake-ups.js";

/** How many times a read-then-write step is tried when another instance changed the job between. */
const MAX_CONFLICT_RETRIES = 5;

/** The statuses `deleteJob` deletes: every one but running (and staged, which is never listed). */
const DELETABLE_STATUSES = ["scheduled", "pending", "failed", "completed", "dead", "cancelled"] as const;

/**
 * A {@link Store} on MongoDB, with the official `mongodb` driver (v6 or v7). Jobs, schedules and
 * the store's epoch live in `<prefix>jobs`, `<prefix>schedules` and `<prefix>meta` (queue
 * controls, instance presence and throughput history in collections of their own); the indexes
 * (`migrate()`, run on first use unless `autoMigrate: false`) include the partial unique index
 * that enforces unique keys. Claims are conditional updates, so no job is handed out twice;
 * acknowledgements are one `bulkWrite` per batch; stats, lists and cleanup run in the server.
 *
 * What the deployment supports is read at first use (`hello`): on a replica set or a sharded
 * cluster, `createJobs` joins the application's `ClientSession` transaction and `subscribe` hears
 * every instance through a change stream; on a standalone server neither (polling covers it).
 * `capabilities` says which, once the store has connected (before, both are `false`).
 *
 * @example
 * ```ts
 * const store = new MongoStore({ url: "mongodb://localhost:27017/app" });
 * await store.migrate();
 * const scheduler = createScheduler({ store });
 * ```
 */
export class MongoStore implements Store<ClientSession> {
  /** The prefix of the store's collection names. */
  readonly collectionPrefix: string;
  private readonly settings: ResolvedStoreOptions;
  private readonly connection: MongoConnection;
  private readonly collections: StoreCollections;
  private readonly wakeUps = new WakeUps();
  /** The start of the wake-ups by the first subscribe(), until the change streams are open (see {@link run}). */
  private watching: Promise<void> | null = null;
  private features: DeploymentFeatures | undefined;
  private readiness: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private wakeUpModeLogged = false;
  private readonly claimLock: ClaimLock;
  /** Which controlled queue a claim of several starts with: a different one at every claim. */
  private claimRotation = 0;

  /**
   * Creates the store; nothing is opened until the first call.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming the option at fault (see {@link MongoStoreOptions}).
   */
  constructor(options: MongoStoreOptions) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    this.settings = resolveStoreOptions(readOptions(options, "", "option"));
    this.collectionPrefix = this.settings.collectionPrefix;
    this.connection = openConnection(this.settings.connection, {
      serverSelectionTimeoutMs: this.settings.serverSelectionTimeoutMs,
      connectTimeoutMs: this.settings.serverSelectionTimeoutMs,
      appName: "sched-store",
    });
    this.collections = collectionsOf(this.connection.db, this.collectionPrefix);
    this.claimLock = new ClaimLock(this.collections.queues, () => this.maxTime());
  }

  /**
   * What this store supports: `transactions` and `pushedEvents` are `true` on a replica set or a
   * sharded cluster (`pushedEvents` also needs `changeStreams` not set to `false`), `false` on a
   * standalone server, and `false` until the store first reached its deployment.
   */
  get capabilities(): StoreCapabilities {
    const features = this.features;
    return {
      transactions: features?.transactions ?? false,
      pushedEvents: (features?.changeStreams ?? false) && this.settings.changeStreams,
    };
  }

  /** The deployment's features, once the store has reached it (`undefined` before). */
  get deployment(): DeploymentFeatures | undefined {
    return this.features;
  }

  /**
   * Reads what the deployment supports and creates the indexes (idempotent: any number of
   * instances may run it at once, at every start). Run it before the first enqueue when
   * `autoMigrate` is `false`.
   *
   * @throws StoreError (`STORE_ERROR`) when the server refuses (an index of the same name with
   *   another definition, missing privileges) or cannot be reached; StoreClosedError after `close()`.
   */
  async migrate(): Promise<void> {
    await this.run(
      "migrate",
      async () => {
        await this.probe();
        await createIndexes(this.collections, this.settings.operationTimeoutMs);
      },
      false,
    );
  }

  /**
   * {@inheritDoc Store.describeServer}
   *
   * `MongoDB at host:port` (the hosts of a replica set), as the store's errors name it (never a
   * password or the URL).
   */
  describeServer(): string {
    return `MongoDB at ${this.connection.server().address}`;
  }

  /** {@inheritDoc Store.createJobs} */
  async createJobs(jobs: NewJobRecord[], options: CreateJobsOptions<ClientSession> = {}): Promise<Job[]> {
    return this.run("createJobs", async () => {
      const session = options.transaction;
      if (session !== undefined) this.assertSession(session);
      if (jobs.length === 0) return [];
      refuseKeysTwiceInBatch(jobs);
      await refuseHeldKeys(this.access, jobs, session);
      await this.controlGroupedQueues(jobs);
      const documents = jobs.map((job) => jobDocumentOf(job, documentIdOf(`job:${job.id}`), false));
      try {
        if (session !== undefined) {
          await this.collections.jobs.insertMany(documents, { session, ordered: true });
        } else if (documents.length === 1) {
          await this.collections.jobs.insertOne(documents[0] as JobDocument);
        } else {
          await insertBatch(this.access, jobs);
        }
      } catch (err) {
        if (isDuplicateKeyError(err)) throw await conflictOf(this.access, jobs, session, err);
        throw err;
      }
      if (session === undefined)
        for (const queue of new Set(jobs.map((job) => job.queue)))
          this.wakeUps.local({ type: "jobs", queue });
      return jobs.map((job) => jobOf(jobDocumentOf(job, documentIdOf(`job:${job.id}`), false)));
    });
  }

  /** {@inheritDoc Store.getJob} */
  async getJob(id: string): Promise<Job | null> {
    return this.run("getJob", async () => {
      const document = await this.collections.jobs.findOne({ id }, this.maxTime());
      return document === null || document.status === STAGED ? null : jobOf(document);
    });
  }

  /**
   * {@inheritDoc Store.listJobs}
   *
   * Keyset paging in the server: the cursor bounds `createdAt`, read through the indexes on the
   * order (`created_order`, and its variants led by queue, status, or both).
   */
  async listJobs(filter: JobFilter): Promise<JobPage> {
    return this.run("listJobs", () => listJobPage(this.access, filter));
  }

  /**
   * {@inheritDoc Store.retryJobs}
   *
   * Jobs without a unique key in one `updateMany`; keyed jobs one by one, as `requeueJob` moves them.
   */
  async retryJobs(selector: JobSelector, now: Date): Promise<number> {
    return this.run("retryJobs", async () => {
      const { moved, queues } = await retryJobs(this.access, selector, now);
      for (const queue of queues) this.wakeUps.local({ type: "jobs", queue });
      return moved;
    });
  }

  /** {@inheritDoc Store.deleteJobs} */
  async deleteJobs(selector: JobSelector): Promise<number> {
    return this.run("deleteJobs", () => deleteJobs(this.access, selector));
  }

  /** {@inheritDoc Store.deleteJob} One conditional delete: a running or staged job is left. */
  async deleteJob(id: string): Promise<Job | null> {
    return this.run("deleteJob", async () => {
      const deleted = await this.collections.jobs.findOneAndDelete(
        { id, status: { $in: [...DELETABLE_STATUSES] } },
        this.maxTime(),
      );
      return deleted === null ? null : jobOf(deleted);
    });
  }

  /** {@inheritDoc Store.promoteJob} */
  async promoteJob(id: string, now: Date): Promise<Job | null> {
    return this.run("promoteJob", async () => {
      const after = await this.collections.jobs.findOneAndUpdate(
        { id, status: { $in: ["scheduled", "failed"] } },
        { $set: { status: "pending", scheduledAt: now } },
        { returnDocument: "after", ...this.maxTime() },
      );
      if (after !== null) {
        this.wakeUps.local({ type: "jobs", queue: after.queue });
        return jobOf(after);
      }
      const current = await this.readJob(id);
      return current === null ? null : jobOf(current);
    });
  }

  /** {@inheritDoc Store.saveInstance} */
  async saveInstance(instance: InstanceRecord): Promise<void> {
    return this.run("saveInstance", () => saveInstance(this.presenceAccess, instance));
  }

  /** {@inheritDoc Store.removeInstance} */
  async removeInstance(id: string): Promise<boolean> {
    return this.run("removeInstance", () => removeInstance(this.presenceAccess, id));
  }

  /** {@inheritDoc Store.listInstances} */
  async listInstances(now: Date): Promise<InstanceRecord[]> {
    return this.run("listInstances", () => listInstances(this.presenceAccess, now));
  }

  /** {@inheritDoc Store.addThroughput} */
  async addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    return this.run("addThroughput", () => addThroughput(this.throughputAccess, samples, keepSince));
  }

  /** {@inheritDoc Store.throughput} */
  async throughput(query: ThroughputQuery): Promise<ThroughputSample[]> {
    return this.run("throughput", () => throughput(this.throughputAccess, query));
  }

  /** {@inheritDoc Store.cancelJob} */
  async cancelJob(id: string, now: Date): Promise<Job | null> {
    return this.run("cancelJob", async () => {
      for (let tries = 0; ; tries += 1) {
        const before = await this.readJob(id);
        if (before === null) return null;
        if (!["scheduled", "pending", "running", "failed"].includes(before.status)) return jobOf(before);
        const wasRunning = before.status === "running";
        const update: UpdateFilter<JobDocument> = {
          $set: {
            status: "cancelled",
            completedAt: now,
            lockedUntil: null,
            lockedBy: null,
            ...(wasRunning ? { cancelledAttempt: before.attempt } : {}),
          },
          $unset: { activeKey: "" },
        };
        const after = await this.collections.jobs.findOneAndUpdate(
          { _id: before._id, status: before.status, attempt: before.attempt },
          update,
          { returnDocument: "after", ...this.maxTime() },
        );
        if (after !== null) {
          if (wasRunning)
            this.wakeUps.local({ type: "cancelled", id, queue: before.queue, attempt: before.attempt });
          return jobOf(after);
        }
        if (tries >= MAX_CONFLICT_RETRIES) throw new Error(`job ${id} kept changing while it was cancelled`);
      }
    });
  }

  /** {@inheritDoc Store.requeueJob} */
  async requeueJob(id: string, now: Date): Promise<RequeueResult | null> {
    return this.run("requeueJob", async () => {
      for (let tries = 0; ; tries += 1) {
        const before = await this.readJob(id);
        if (before === null) return null;
        if (before.status !== "dead" && before.status !== "cancelled")
          return { requeued: false, job: jobOf(before) };
        if (before.uniqueKey !== null) {
          const holder = await this.collections.jobs.findOne(
            { queue: before.queue, activeKey: before.uniqueKey, _id: { $ne: before._id } },
            { projection: { id: 1 }, ...this.maxTime() },
          );
          if (holder !== null) throw new JobAlreadyExistsError(before.uniqueKey, holder.id, before.queue);
        }
        let after: JobDocument | null;
        try {
          after = await this.collections.jobs.findOneAndUpdate(
            { _id: before._id, status: before.status, attempt: before.attempt },
            {
              $set: {
                status: "pending",
                scheduledAt: now,
                retryCount: 0,
                lostLeases: 0,
                completedAt: null,
                ...(before.uniqueKey === null ? {} : { activeKey: before.uniqueKey }),
              },
              $unset: { cancelledAttempt: "" },
            },
            { returnDocument: "after", ...this.maxTime() },
          );
        } catch (err) {
          if (isDuplicateKeyError(err) && before.uniqueKey !== null) {
            throw new JobAlreadyExistsError(before.uniqueKey, null, before.queue);
          }
          throw err;
        }
        if (after !== null) {
          this.wakeUps.local({ type: "jobs", queue: after.queue });
          return { requeued: true, job: jobOf(after) };
        }
        if (tries >= MAX_CONFLICT_RETRIES) throw new Error(`job ${id} kept changing while it was requeued`);
      }
    });
  }

  /**
   * {@inheritDoc Store.claimDueJobs}
   *
   * Queues without a control document (no controls, no grouped job ever enqueued) are claimed by
   * the plain path: the next due jobs are read in claim order, then each is taken by a conditional
   * update (still waiting, same attempt) in one `bulkWrite`; those another claimer took first are
   * left out, and the claim reads again until it has `limit` jobs or none are due. A queue with a
   * control document is claimed under its claim lock, which keeps its limits and the rotation
   * between its groups (see `controlled-claim.ts`). Several queues in one claim share `limit` in
   * claim order: the first `limit` due jobs of all of them, read in claim order (ids only), are
   * counted per queue; each controlled queue first takes at most its count (starting from a queue
   * that changes at every claim), the plain queues then the rest, and the controlled queues that
   * were not held back by their limits what is left after that.
   */
  async claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    return this.run("claimDueJobs", async () => {
      const { limit, names, now } = options;
      if (limit <= 0 || options.queues?.length === 0 || names?.length === 0) return [];
      const controlledSet = await controlledQueueNames(
        this.collections.queues,
        this.maxTime(),
        options.queues,
      );
      const controlled = [...controlledSet].sort();
      const plainQueues =
        options.queues === null
          ? null
          : [...new Set(options.queues)].filter((queue) => !controlledSet.has(queue));
      const hasPlain = plainQueues === null || plainQueues.length > 0;
      const claimed: JobDocument[] = [];
      const start = controlled.length === 0 ? 0 : this.claimRotation++ % controlled.length;
      const turn = [...controlled.slice(start), ...controlled.slice(0, start)];
      const shares =
        turn.length + (hasPlain ? 1 : 0) > 1
          ? await claimShares(this.access, waitingFilter(options.queues, names, now), limit)
          : null;
      // The controlled queues that may give more than they gave: not held back by their limits.
      const filled: string[] = [];
      for (const queue of turn) {
        const want = Math.min(shares === null ? limit : (shares.get(queue) ?? 0), limit - claimed.length);
        if (want <= 0) {
          filled.push(queue);
          continue;
        }
        const taken = await claimControlledQueue(this.controlAccess, queue, names, want, options);
        claimed.push(...taken);
        if (taken.length === want) filled.push(queue);
      }
      if (hasPlain && claimed.length < limit) {
        const due = waitingFilter(plainQueues, names, now);
        if (plainQueues === null && controlled.length > 0) due.queue = { $nin: controlled };
        claimed.push(...(await claimPlainJobs(this.access, due, limit - claimed.length, options)));
      }
      for (const queue of filled) {
        if (claimed.length >= limit) break;
        claimed.push(
          ...(await claimControlledQueue(this.controlAccess, queue, names, limit - claimed.length, options)),
        );
      }
      return claimed.map(jobOf);
    });
  }

  /** {@inheritDoc Store.completeJobs} */
  async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    return this.run("completeJobs", async () => {
      const applied = await applyFenced(
        this.collections.jobs,
        refs,
        () => ({
          $set: { status: "completed", completedAt: options.now, lockedUntil: null, lockedBy: null },
          $unset: { activeKey: "" },
        }),
        this.settings.operationTimeoutMs,
      );
      if (options.removeOnComplete === true) {
        const ids = refs.filter((_, i) => applied[i]).map((ref) => ref.id);
        if (ids.length > 0)
          await this.collections.jobs.deleteMany({ id: { $in: ids }, status: "completed" }, this.maxTime());
      }
      return applied;
    });
  }

  /** {@inheritDoc Store.failJob} */
  async failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    return this.run("failJob", async () => {
      const before = await this.collections.jobs.findOne(currentAttemptFilter(ref), this.maxTime());
      if (before === null) return null;
      const history = [
        ...(before.history ?? []),
        { attempt: before.attempt, error: options.error, failedAt: options.now },
      ].slice(-MAX_HISTORY);
      const change: UpdateFilter<JobDocument> =
        options.retryAt === null
          ? {
              $set: {
                status: "dead",
                completedAt: options.now,
                error: options.error,
                history,
                lockedUntil: null,
                lockedBy: null,
              },
              $unset: { activeKey: "" },
            }
          : {
              $set: {
                status: "failed",
                scheduledAt: options.retryAt,
                error: options.error,
                history,
                lockedUntil: null,
                lockedBy: null,
              },
              $inc: { retryCount: 1 },
            };
      const after = await this.collections.jobs.findOneAndUpdate(currentAttemptFilter(ref), change, {
        returnDocument: "after",
        ...this.maxTime(),
      });
      if (after === null) return null;
      if (options.retryAt === null)
        if (await insertDeadLetter(this.access, after, options.deadLetter ?? null, options.now))
          this.wakeUps.local({ type: "jobs", queue: after.queue });
        else this.wakeUps.local({ type: "jobs", queue: after.queue });
      return jobOf(after);
    });
  }

  /** {@inheritDoc Store.releaseJobs} */
  async releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]> {
    return this.run("releaseJobs", async () => {
      const applied = await applyFenced(
        this.collections.jobs,
        refs,
        () => ({ $set: { status: "pending", scheduledAt: options.now, lockedUntil: null, lockedBy: null } }),
        this.settings.operationTimeoutMs,
      );
      for (const queue of new Set(refs.filter((_, i) => applied[i]).map((ref) => ref.queue)))
        this.wakeUps.local({ type: "jobs", queue });
      return applied;
    });
  }

  /** {@inheritDoc Store.renewLeases} */
  async renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    return this.run("renewLeases", async () => {
      const applied = await applyFenced(
        this.collections.jobs,
        refs,
        () => ({ $set: { lockedUntil } }),
        this.settings.operationTimeoutMs,
      );
      return refs.filter((_, i) => !applied[i]).map((ref) => ref.id);
    });
  }

  /** {@inheritDoc Store.recoverExpiredLeases} */
  async recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases> {
    return this.run("recoverExpiredLeases", async () => {
      const { now } = options;
      const expired = await this.collections.jobs
        .find({ status: "running", lockedUntil: { $lte: now } }, this.maxTime())
        .sort({ lockedUntil: 1, id: 1 })
        .limit(Math.max(0, options.limit))
        .toArray();
      const recovered: string[] = [];
      const dead: Job[] = [];
      for (const before of expired) {
        const history = [
          ...(before.history ?? []),
          { attempt: before.attempt, error: options.error, failedAt: now },
        ].slice(-MAX_HISTORY);
        const dies = before.lostLeases >= options.maxLostLeases;
        const change: UpdateFilter<JobDocument> = dies
          ? {
              $set: {
                status: "dead",
                completedAt: now,
                error: before.error ?? options.error,
                history,
                lockedUntil: null,
                lockedBy: null,
              },
              $inc: { lostLeases: 1 },
              $unset: { activeKey: "" },
            }
          : {
              $set: { status: "pending", scheduledAt: now, history, lockedUntil: null, lockedBy: null },
              $inc: { lostLeases: 1 },
            };
        const after = await this.collections.jobs.findOneAndUpdate(
          {
            _id: before._id,
            status: "running",
            attempt: before.attempt,
            lockedBy: before.lockedBy,
            lockedUntil: { $lte: now },
          },
          change,
          { returnDocument: "after", ...this.maxTime() },
        );
        if (after === null) continue;
        if (dies) {
          if (await insertDeadLetter(this.access, after, options.deadLetter, now))
            this.wakeUps.local({ type: "jobs", queue: after.queue });
          dead.push(jobOf(after));
        } else {
          recovered.push(after.id);
          this.wakeUps.local({ type: "jobs", queue: after.queue });
        }
      }
      return { recovered, dead };
    });
  }

  /** {@inheritDoc Store.nextDueAt} */
  async nextDueAt(options: NextDueOptions): Promise<Date | null> {
    return this.run("nextDueAt", async () => {
      if (options.queues?.length === 0 || options.names?.length === 0) return null;
      const paused = await pausedQueueNames(this.collections.queues, this.maxTime(), options.queues);
      const filter = waitingFilter(options.queues, options.names, null);
      if (paused.length > 0) {
        if (options.queues === null) filter.queue = { $nin: paused };
        else {
          const open = [...new Set(options.queues)].filter((queue) => !paused.includes(queue));
          if (open.length === 0) return null;
          filter.queue = { $in: open };
        }
      }
      const [first] = await this.collections.jobs
        .find(filter, {
          projection: { scheduledAt: 1 },
          ...this.maxTime(),
        })
        .sort({ scheduledAt: 1 })
        .limit(1)
        .toArray();
      return first?.scheduledAt ?? null;
    });
  }

  /** {@inheritDoc Store.waitingJobNames} */
  async waitingJobNames(options: WaitingNamesOptions): Promise<string[]> {
    return this.run("waitingJobNames", () => waitingJobNames(this.access, options));
  }

  /**
   * {@inheritDoc Store.createDedupedJob}
   *
   * Without a transaction: a window document per queue and key, written only by conditional
   * writes (see `dedupe-windows.ts` for what a crash between two writes leaves).
   */
  async createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult> {
    return this.run("createDedupedJob", async () => {
      await this.controlGroupedQueues([job]);
      const result = await createDedupedJob(this.dedupeAccess, job, dedupe, now);
      if (result.outcome !== "throttled") this.wakeUps.local({ type: "jobs", queue: job.queue });
      return result;
    });
  }

  /**
   * {@inheritDoc Store.updateQueue}
   *
   * One upsert of the queue's control document; from then on the queue's claims take the
   * controlled path. With change streams, every instance hears the `jobs` event.
   */
  async updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord> {
    return this.run("updateQueue", async () => {
      const record = await updateQueue(this.collections.queues, this.maxTime(), name, patch, now);
      if (patch.limitedUntil === null) {
        // The groups' push-backs are lifted with the queue's (they live in the groups' documents).
        await this.collections.groups.updateMany(
          { queue: name, limitedUntil: { $ne: null } },
          { $set: { limitedUntil: null } },
          this.maxTime(),
        );
      }
      if (!record.paused) this.wakeUps.local({ type: "jobs", queue: name });
      return record;
    });
  }

  /** {@inheritDoc Store.getQueue} */
  async getQueue(name: string): Promise<QueueRecord | null> {
    return this.run("getQueue", () => getQueue(this.collections.queues, this.maxTime(), name));
  }

  /** {@inheritDoc Store.listQueues} */
  async listQueues(): Promise<QueueRecord[]> {
    return this.run("listQueues", () => listQueues(this.collections.queues, this.maxTime()));
  }

  /**
   * {@inheritDoc Store.rateLimitJob}
   *
   * Under the queue's claim lock, so that no controlled claim runs between the job's return to
   * the queue and the push-back: the job is handed back by a conditional update on its current
   * attempt, then the queue's control document or the group's document is pushed back (`$max`).
   * When the lock stays busy (a holder that crashed, until the lock expires), the two writes are
   * made without it, in the same order; a crash between them leaves the job waiting until `until`
   * without the push-back of its queue or group.
   */
  async rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean> {
    return this.run("rateLimitJob", async () => {
      const { now, until } = options;
      await ensureControlled(this.collections.queues, this.maxTime(), [ref.queue]);
      const lock = await this.claimLock.acquire(ref.queue, now);
      try {
        const after = await this.collections.jobs.findOneAndUpdate(
          currentAttemptFilter(ref),
          {
            $set: {
              status: until > now ? "scheduled" : "pending",
              scheduledAt: until,
              lockedUntil: null,
              lockedBy: null,
            },
          },
          { returnDocument: "after", ...this.maxTime() },
        );
        if (after === null) return false;
        if (options.scope === "group" && after.group != null)
          await pushBackGroup(this.collections.groups, this.maxTime(), ref.queue, after.group, until);
        else await pushBackQueue(this.collections.queues, this.maxTime(), ref.queue, until, now);
        this.wakeUps.local({ type: "jobs", queue: ref.queue });
        return true;
      } finally {
        if (lock !== null) await this.claimLock.release(ref.queue, lock);
      }
    });
  }

  /** {@inheritDoc Store.saveSchedule} */
  async saveSchedule(schedule: ScheduleRecord, options: SaveScheduleOptions = {}): Promise<boolean> {
    return this.run("saveSchedule", () =>
      saveSchedule(this.collections.schedules, this.maxTime(), schedule, options),
    );
  }

  /** {@inheritDoc Store.getSchedule} */
  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    return this.run("getSchedule", async () => {
      const document = await this.collections.schedules.findOne(
        { _id: documentIdOf(`schedule:${name}`) },
        this.maxTime(),
      );
      return document === null ? null : scheduleOf(document);
    });
  }

  /** {@inheritDoc Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.run("listSchedules", async () => {
      const documents = await this.collections.schedules.find({}, this.maxTime()).sort({ name: 1 }).toArray();
      return documents.map(scheduleOf);
    });
  }

  /** {@inheritDoc Store.deleteSchedule} */
  async deleteSchedule(name: string): Promise<boolean> {
    return this.run("deleteSchedule", async () => {
      const result = await this.collections.schedules.deleteOne(
        { _id: documentIdOf(`schedule:${name}`) },
        this.maxTime(),
      );
      return result.deletedCount === 1;
    });
  }

  /**
   * {@inheritDoc Store.fireScheduleTick}
   *
   * Exactly once without a transaction: see `fireScheduleTick` in `schedules.ts`.
   */
  async fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    return this.run("fireScheduleTick", async () => {
      await this.controlGroupedQueues(tick.jobs);
      const stored = await fireScheduleTick(this.collections.schedules, this.access, tick);
      if (stored === null) return { fired: false, jobs: [] };
      for (const queue of new Set(stored.map((document) => document.queue)))
        this.wakeUps.local({ type: "jobs", queue });
      return { fired: true, jobs: stored.map(jobOf) };
    });
  }

  /** {@inheritDoc Store.cleanup} */
  async cleanup(options: CleanupOptions): Promise<number> {
    return this.run("cleanup", () => cleanup(this.access, options));
  }

  /** {@inheritDoc Store.stats} */
  async stats(): Promise<Stats> {
    return this.run("stats", () => stats(this.access));
  }

  /** {@inheritDoc Store.ping} */
  async ping(): Promise<void> {
    await this.run(
      "ping",
      async () => {
        await this.connection.db.command({ ping: 1 });
      },
      false,
    );
  }

  /** {@inheritDoc Store.epoch} */
  async epoch(): Promise<string> {
    return this.run("epoch", async () => {
      const _id = documentIdOf("meta:epoch");
      for (let tries = 0; ; tries += 1) {
        const existing = await this.collections.meta.findOne({ _id }, this.maxTime());
        if (existing !== null) return existing.epoch;
        try {
          await this.collections.meta.insertOne({ _id, epoch: randomUUID() }, this.maxTime());
        } catch (err) {
          // A concurrent first caller created it: read theirs.
          if (!isDuplicateKeyError(err) || tries >= MAX_CONFLICT_RETRIES) throw err;
        }
      }
    });
  }

  /**
   * {@inheritDoc Store.subscribe}
   *
   * With change streams (a replica set or a sharded cluster, `changeStreams` not `false`), the
   * listener hears every instance; otherwise only this store's own changes. Which one is chosen
   * when the first listener subscribes, and logged once.
   */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    if (this.closed) throw new StoreClosedError("the MongoStore is closed");
    const remove = this.wakeUps.add(listener);
    const starting = this.startWakeUps();
    if (this.watching === null) {
      this.watching = starting;
      void starting.finally(() => {
        if (this.watching === starting) this.watching = null;
      });
    }
    return remove;
  }

  /** {@inheritDoc Store.close} */
  async close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await this.wakeUps.close();
      await closeConnection(this.connection);
    })();
    await this.closing;
  }

  private async startWakeUps(): Promise<void> {
    try {
      await this.ready();
    } catch {
      return; // The next call reports the failure; polling covers the wake-ups meanwhile.
    }
    if (this.closed || this.wakeUps.size === 0) return;
    const pushed = this.capabilities.pushedEvents;
    if (!this.wakeUpModeLogged) {
      this.wakeUpModeLogged = true;
      this.settings.logger?.info(
        pushed
          ? `MongoStore: wake-ups by change streams on the ${this.features?.topology} deployment`
          : `MongoStore: wake-ups by polling (${this.settings.changeStreams ? `a ${this.features?.topology} deployment has no change streams` : "changeStreams is false"})`,
      );
    }
    if (pushed) {
      this.wakeUps.watch(this.collections.jobs, this.collections.queues, (err) => {
        this.settings.logger?.warn(
          `MongoStore: the change stream failed; polling until it is opened again: ${storeError(err, "watch", this.connection.server()).message}`,
        );
        if (!this.closed && this.wakeUps.size > 0) setTimeout(() => void this.startWakeUps(), 1_000).unref();
      });
      // The calls made meanwhile wait for the streams' cursors (see WakeUps.untilWatching).
      await this.wakeUps.untilWatching();
    }
  }

  /** Runs `operation` once the store is ready, bounded by `operationTimeout`, its failures as StoreErrors. */
  private async run<T>(operation: string, body: () => Promise<T>, needsReady = true): Promise<T> {
    if (this.closed) throw new StoreClosedError("the MongoStore is closed");
    const timeoutMs = this.settings.operationTimeoutMs;
    const work = (async () => {
      if (needsReady) await this.ready();
      // Right after subscribe(), let the change streams open first (bounded): every change another
      // instance makes after this call is then heard, none falls before a stream's start.
      const watching = this.watching;
      if (needsReady && watching !== null) await settlesWithin(watching, FIRST_WATCH_WAIT_MS);
      return body();
    })();
    try {
      return await answerWithin(work, timeoutMs, () => new StoreTimeoutError(operation, timeoutMs));
    } catch (err) {
      if (this.closed && !(err instanceof StoreTimeoutError))
        throw new StoreClosedError("the MongoStore is closed");
      throw storeError(err, operation, this.connection.server(), timeoutMs > 0 ? timeoutMs : undefined);
    }
  }

  /** Reads the deployment's features and, with `autoMigrate`, creates the indexes, once. */
  private ready(): Promise<void> {
    this.readiness ??= (async () => {
      await this.probe();
      if (this.settings.autoMigrate) await createIndexes(this.collections, this.settings.operationTimeoutMs);
    })().catch((err: unknown) => {
      this.readiness = undefined;
      throw err;
    });
    return this.readiness;
  }

  private async probe(): Promise<void> {
    this.features ??= await probeDeployment(this.connection.db);
  }

  /** The jobs collection and the time limit, for the functions of `job-inserts.ts`. */
  private get access(): JobAccess {
    return { jobs: this.collections.jobs, maxTime: () => this.maxTime() };
  }

  /** The presence records, for `presence.ts`. */
  private get presenceAccess(): PresenceAccess {
    return { instances: this.collections.instances, maxTime: () => this.maxTime() };
  }

  /** The throughput history, for `throughput-history.ts`. */
  private get throughputAccess(): ThroughputAccess {
    return { throughput: this.collections.throughput, maxTime: () => this.maxTime() };
  }

  /** What a controlled claim reads and writes. */
  private get controlAccess(): ControlledClaimAccess {
    return {
      jobs: this.collections.jobs,
      queues: this.collections.queues,
      groups: this.collections.groups,
      lock: this.claimLock,
      maxTime: () => this.maxTime(),
    };
  }

  /** The jobs and deduplication windows, for `dedupe-windows.ts`. */
  private get dedupeAccess(): DedupeAccess {
    return { jobs: this.collections.jobs, dedupe: this.collections.dedupe, maxTime: () => this.maxTime() };
  }

  /**
   * Gives the queues of grouped jobs a control document before the jobs go in, so that every claim
   * that can see them takes the controlled path (the rotation between groups).
   */
  private async controlGroupedQueues(jobs: readonly NewJobRecord[]): Promise<void> {
    const grouped = jobs
      .filter((job) => job.group !== null && job.group !== undefined)
      .map((job) => job.queue);
    if (grouped.length > 0) await ensureControlled(this.collections.queues, this.maxTime(), grouped);
  }

  private maxTime(): { maxTimeMS?: number } {
    return this.settings.operationTimeoutMs > 0 ? { maxTimeMS: this.settings.operationTimeoutMs } : {};
  }

  private async readJob(id: string): Promise<JobDocument | null> {
    const document = await this.collections.jobs.findOne({ id }, this.maxTime());
    return document === null || document.status === STAGED ? null : document;
  }

  private assertSession(session: unknown): asserts session is ClientSession {
    if (!this.capabilities.transactions) {
      throw new InvalidArgumentError(
        "transaction",
        `this MongoDB deployment (${this.features?.topology ?? "unknown"}) has no transactions: enqueue without one, or use a replica set`,
      );
    }
    const candidate = session as Partial<ClientSession> | null;
    if (typeof candidate?.inTransaction !== "function" || typeof candidate.endSession !== "function") {
      throw new InvalidArgumentError(
        "transaction",
        "expected a ClientSession of the store's MongoClient, inside startTransaction()",
      );
    }
    if (!candidate.inTransaction()) {
      throw new InvalidArgumentError(
        "transaction",
        "the ClientSession has no transaction in progress: call session.startTransaction() first",
      );
    }
  }
}
