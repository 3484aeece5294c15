import type { Job, JobFilter, JobPage, JobSelector, JobStatus } from "../jobs/job.js";
import type { Stats } from "../jobs/stats.js";

/**
 * The contract every storage backend implements. `Tx` is the type of the application transaction
 * `createJobs` can join (`never` for a store without transactions). A store only moves data atomically: retry
 * timing, dead-letter routing, cron evaluation and leadership are decided by the runtime and
 * passed in. Every rule here is checked by `storeConformance` in `@sched/testing`.
 *
 * Time is always passed in (`now`), never read by the store, so that a test clock drives every
 * backend alike. Dates round-trip with millisecond precision: every `Date` a store keeps (a job's,
 * a schedule's, a queue's `limitedUntil` and `updatedAt`, an instance's) comes back to the
 * millisecond, and comparisons with `now` are exact to the millisecond.
 *
 * Records are the caller's: what a store returns (jobs, schedules, queue records, instances,
 * throughput samples) shares no object with what it keeps or with what the caller passed in, so
 * a caller changing one changes nothing stored.
 *
 * Errors: every method rejects with a `StoreClosedError` (`STORE_CLOSED`) after {@link close}, and
 * with a `StoreError` (`STORE_ERROR`, the driver's error as `cause`, a message without secrets)
 * when the backend fails (connection lost, server error); the other errors are named on each
 * method. Throw the classes of `@sched/core/adapter` (the same classes as `@sched/core`'s), never a
 * plain `Error` carrying a code. The CommonJS and the ES module builds of `@sched/core` have
 * separate classes (the dual-package hazard): `instanceof` holds only within one module system, so
 * match errors on `err.code`, and load `@sched/core/adapter` the way the application loads
 * `@sched/core` (the runtime checks some errors, such as a unique-key conflict, with `instanceof`).
 */
export interface Store<Tx = unknown> {
  /**
   * What this store supports beyond the rules every store keeps. The runtime and the conformance
   * suite read it: a suite group a store cannot run is reported as skipped, naming the capability.
   */
  readonly capabilities: StoreCapabilities;

  /**
   * Where this store keeps its data, for messages: a backend and an address without a password
   * or a connection string (`PostgreSQL at db.internal:5432/app`, `Redis at 10.0.0.1:6379`).
   * Optional. The runtime names it in a `StoreTimeoutError` (`STORE_TIMEOUT`), read when the
   * error is made. Must not throw.
   */
  describeServer?(): string | undefined;

  /**
   * Inserts jobs in one atomic step. A `uniqueKey` admits one job in an active status
   * (`scheduled`, `pending`, `running`, `failed`) **per queue**: the same key may be held in two
   * queues at once (the queue is the unit of atomicity on every backend). If any job of the batch
   * conflicts with a stored job or with another job of the batch, nothing is inserted and
   * `JobAlreadyExistsError` is thrown. Every string and JSON value is stored as given and returned
   * unchanged (the runtime refuses what a store could not keep, such as U+0000). Returns the stored
   * jobs in input order.
   *
   * With `options.transaction` (a backend-specific handle, such as a `pg` client inside `BEGIN`),
   * the insert joins that transaction: the jobs exist if and only if it commits, and wake-ups are
   * sent on commit. A store that cannot join transactions throws `InvalidArgumentError`.
   *
   * @throws JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) for a held unique key, with `uniqueKey`
   *   (and `existingJobId` and `queue` when the store knows them); nothing is inserted.
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`, `field: "transaction"`) for a transaction
   *   the store cannot join (`null`, a plain object, any value without the `transactions`
   *   capability); nothing is inserted.
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`, the
   *   driver's error as `cause`) when the backend fails.
   */
  createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions<Tx>): Promise<Job[]>;

  /**
   * Optional: inserts `jobs` as {@link createJobs} does, then claims as {@link claimDueJobs} does
   * with `claim`, in one round trip to the backend. The claim runs after the insert and sees the
   * new jobs; it keeps every rule of `claimDueJobs` (claim order across old and new jobs, names,
   * queues, queue controls, fairness between groups), so it may hand out an older job rather than
   * a new one. The runtime calls it when an enqueue finds this instance's workers idle, so that a
   * new job starts without a separate claim (enqueue-to-start is then one round trip).
   *
   * If the insert fails (`JobAlreadyExistsError` for a held unique key), nothing is inserted and
   * nothing is claimed. A `jobs` event is sent for each queue that has a new job left waiting; a
   * store may leave out the queues whose new jobs were all claimed here. Returns the new jobs as
   * created (in input order, as `createJobs` returns them) and the claimed jobs, as
   * `claimDueJobs` returns them. A store without it is used through `createJobs` and
   * `claimDueJobs`; the conformance suite skips its tests, naming the method.
   *
   * @throws JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) for a held unique key, with
   *   `uniqueKey`; nothing is inserted and nothing is claimed.
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  createJobsAndClaim?(jobs: NewJobRecord[], claim: ClaimOptions): Promise<CreatedAndClaimed>;

  /**
   * Returns the job, or `null` when there is none with that id.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  getJob(id: string): Promise<Job | null>;

  /**
   * A page of the jobs matching the filter (see {@link JobSelector}), ordered by `createdAt`
   * then id (ascending, or descending with `order: "desc"`), at most `limit` (default 100). With a
   * `cursor` (made by `encodeJobCursor`, checked by the runtime, which refuses one of the other
   * order), the page starts strictly after the job it names in that order, whether or not that job
   * still exists. `nextCursor`, made by `encodeJobCursor(job, filter.order)`, names the page's
   * last job when at least one more job matches after it, else `null`: the last page,
   * full or not, has none (a store reads `limit + 1` jobs to know). A store reads about `limit`
   * jobs per page however deep it is (an index on the order), not every job before the cursor.
   * The runtime checks `limit` before any store sees it (an integer from 1 to 10,000, else
   * `InvalidArgumentError`), so a store need not clamp it (the stores of this repository clamp
   * to 1–10,000 all the same).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  listJobs(filter: JobFilter): Promise<JobPage>;

  /**
   * Moves every `dead` and `cancelled` job matching `selector` (its `status`, when given, is
   * intersected with those two) back to `pending` as {@link requeueJob} does, job by job: a job
   * whose `uniqueKey` is held meanwhile by another active job of its queue stays as it is. Returns
   * how many were moved. Sends a `jobs` event for each queue that got jobs.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  retryJobs(selector: JobSelector, now: Date): Promise<number>;

  /**
   * Deletes every job matching `selector` that is not `running` (a running job is left to finish
   * or to be cancelled first), releasing its unique key. Returns how many were deleted.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  deleteJobs(selector: JobSelector): Promise<number>;

  /**
   * Deletes one job unless it is `running` (a running job is left to finish or to be cancelled
   * first), releasing its unique key. Returns the job as it was, or `null` when it does not exist
   * or is running (then it is left as it is).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  deleteJob(id: string): Promise<Job | null>;

  /**
   * Makes a waiting job due now: a `scheduled` or `failed` job becomes `pending` with
   * `scheduledAt = now` (its counters unchanged). A job in any other status is returned
   * unchanged. Returns `null` when the job does not exist. Sends a `jobs` event when it moved.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  promoteJob(id: string, now: Date): Promise<Job | null>;

  /**
   * Creates or replaces the presence record of a running scheduler instance (a heartbeat).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  saveInstance(instance: InstanceRecord): Promise<void>;

  /**
   * Deletes an instance's presence record; returns whether it existed.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  removeInstance(id: string): Promise<boolean>;

  /**
   * The presence records whose `expiresAt` is after `now`, ordered by id; a store may delete the
   * others on the way.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  listInstances(now: Date): Promise<InstanceRecord[]>;

  /**
   * Adds completed and failed counts to the per-minute, per-queue throughput history (the counts
   * of a sample are added to those stored for its queue and minute), and deletes the minutes
   * before `keepSince`, so the history stays bounded whatever the job retention.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void>;

  /**
   * The stored throughput samples of minutes in `[since, until)` (`until` absent: up to now), of
   * one queue or of all (`queue: null`), ordered by minute then queue.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  throughput(query: ThroughputQuery): Promise<ThroughputSample[]>;

  /**
   * Cancels a job. A `scheduled`, `pending`, `failed` or `running` job becomes `cancelled`
   * (`completedAt = now`, lease cleared), which also fences off the running attempt. A job already
   * final is returned unchanged. Returns `null` when the job does not exist.
   *
   * When a `running` job is cancelled, every subscriber (of every instance sharing the store) is
   * sent a `cancelled` event with the attempt that ran, so the instance running it aborts its
   * handler at once.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  cancelJob(id: string, now: Date): Promise<Job | null>;

  /**
   * Moves a `dead` or `cancelled` job back to `pending` with a fresh budget (`scheduledAt = now`,
   * `retryCount = 0`, `lostLeases = 0`, `completedAt = null`; `attempt` keeps rising; `error` and
   * `history` are kept, the record of the attempts before), and sends a `jobs` event for its
   * queue. Returns the
   * job as it is afterwards with `requeued: true`, or unchanged with `requeued: false` when it was
   * in another status; `null` when it does not exist. If its `uniqueKey` was taken meanwhile by
   * another active job of its queue, throws `JobAlreadyExistsError` and leaves the job as it was.
   *
   * @throws JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) when another active job of its queue
   *   took its `uniqueKey` meanwhile, with `uniqueKey` (and `existingJobId` when known); the job
   *   is left as it was.
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  requeueJob(id: string, now: Date): Promise<RequeueResult | null>;

  /**
   * Atomically claims up to `limit` due jobs: status `scheduled`, `pending` or `failed` with
   * `scheduledAt <= now`, in the given queues (all when `queues` is `null`), with one of the given
   * names (any when `names` is `null`), highest `priority` first, then earliest `scheduledAt`, then
   * smallest id. Jobs of other names are passed over and left as they are. Each claimed job becomes
   * `running` with `attempt + 1`, `startedAt = now`, `lockedUntil`, `lockedBy = workerId`. No job is
   * handed to two concurrent claimers. `queues: []` or `names: []` claims nothing; a queue or name
   * given twice counts once.
   *
   * Queue controls (see {@link updateQueue}, {@link rateLimitJob}) hold across every claimer
   * sharing the store; a claim checks and counts them in the same atomic step as it takes jobs:
   *
   * - a `paused` queue, or one pushed back (`limitedUntil > now`), gives no job;
   * - `concurrency`: at most that many jobs of the queue are `running` after the claim;
   * - `rateLimit { max, per }`: time is cut into fixed windows of `per` ms from the Unix epoch
   *   (`[k·per, (k+1)·per)`); at most `max` claims of the queue's jobs fall in the window of `now`
   *   (every claim counts, a retry's too). A window only moves forward: a claim whose `now` lies in
   *   an earlier window than the queue's last claim (a clock behind another instance's) counts in
   *   that later window;
   * - `group.concurrency` and `group.rateLimit`: the same limits for the jobs of each group key of
   *   the queue, counted per group; a group pushed back by {@link rateLimitJob} gives no job
   *   before its time. Jobs without a group are not subject to group limits;
   * - fairness: within a queue, the due jobs are taken in rounds, one job per group per round, the
   *   jobs without a group counting as one more group. The groups of a round are ordered by when a
   *   claim last took a job from them (never first, then least recently; the order of claims, not
   *   `now`, decides), ties broken by the claim order of their first job; within a group, jobs
   *   come in claim order. This holds whether or not the queue has controls.
   *
   * With several queues in one claim, each queue gives its jobs in its own order, and `limit` is
   * shared in claim order: each queue gives as many jobs as it holds among the first `limit` due
   * jobs of all the queues in claim order (priority, `scheduledAt`, id), as far as its controls
   * allow; what a queue held back by its controls leaves goes to the others. A queue with controls
   * or groups and a backlog never takes a whole claim while other queues hold jobs due before its
   * own. How the jobs of a batch are ordered across queues is left to the store.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  claimDueJobs(options: ClaimOptions): Promise<Job[]>;

  /**
   * Marks running jobs `completed` (`completedAt = now`, lease cleared), or deletes them when
   * `removeOnComplete` is set. A ref whose job is not `running` with that `attempt` and `lockedBy` (its lease was
   * taken over, or it was cancelled) is ignored. Returns, in input order, whether each ref was applied.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]>;

  /**
   * Records a failed attempt of a running job: appends to `history` (keeping the last
   * {@link MAX_HISTORY}), sets `error`, clears the lease. With `retryAt`, the job becomes `failed`
   * with `scheduledAt = retryAt` and `retryCount + 1`; with `retryAt = null` it becomes `dead`
   * (`completedAt = now`), and, when `deadLetter` is given, its dead-letter job (see
   * {@link deadLetterJob}) is inserted in the same atomic step (never for a job named
   * `deadLetter.name`: a dead-letter job's own death has none). A dead-letter job inserted sends
   * a `jobs` event for its queue, as {@link createJobs} does; so does a job made `failed`. Returns
   * the job afterwards, or `null` when the ref is stale (not running with that attempt and
   * holder), in which case nothing changes.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  failJob(ref: JobRef, options: FailOptions): Promise<Job | null>;

  /**
   * Hands running jobs back to the queue without any penalty: a job whose ref is current becomes
   * `pending` with `scheduledAt = now` and its lease cleared; `retryCount`, `lostLeases`, `error`
   * and `history` stay as they are. For attempts interrupted by a shutdown and for claims an
   * instance cannot run. A stale ref is ignored. Returns, in input order, whether each was applied.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]>;

  /**
   * Extends the leases of running jobs to `lockedUntil`. Returns the ids whose lease could not be
   * renewed (not running with that attempt and holder any more): their handlers should stop.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]>;

  /**
   * Recovers running jobs whose `lockedUntil <= now` (their process stopped), at most `limit` of
   * them: when more have expired, those with the earliest `lockedUntil` (ties: the smallest id),
   * so that a small limit still makes progress on the oldest. Each is recovered in one atomic
   * step: `lostLeases + 1`, lease cleared, and a
   * `history` entry with `error` appended. A job that had already lost `maxLostLeases` leases
   * becomes `dead` (`completedAt = now`; its `error` is kept, or set to `error` when it had none;
   * with `deadLetter`, its dead-letter job is inserted in the same step, unless the job is itself
   * named `deadLetter.name`); every other one becomes
   * `pending` with `scheduledAt = now`. A `jobs` event is sent for each queue that got a job back
   * or a dead-letter job. Returns the ids returned to the queue and the jobs made dead, each list
   * in that order (earliest `lockedUntil` first).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases>;

  /**
   * The earliest `scheduledAt` of a waiting job (`scheduled`, `pending`, `failed`) in the given
   * queues (all when `null`) with one of the given names (any when `null`), or `null` when none
   * waits. Lets the runtime sleep until the next job it could claim is due. Paused queues are left
   * out; the other controls are not considered (the time returned may be one at which limits
   * still hold a job back).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  nextDueAt(options: NextDueOptions): Promise<Date | null>;

  /**
   * The distinct names of waiting jobs (`scheduled`, `pending`, `failed`) due at or before `dueBy`
   * in the given queues (all when `null`), at most `limit` names, in no particular order. Lets an
   * instance notice job names that it has no handler for. A store may look at a bounded number of
   * waiting jobs only (the oldest due first).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  waitingJobNames(options: WaitingNamesOptions): Promise<string[]>;

  /**
   * Inserts one job under a deduplication window, atomically (see {@link DedupeOptions}). Windows
   * are kept per queue and key, apart from `uniqueKey` (the runtime refuses a job with both).
   *
   * - `throttle`: when a window of the key is open (`now < expiresAt`, the window opened
   *   `dedupe.ttl` ms before by the job that opened it), nothing is inserted and the result is
   *   `throttled` with the window's job as it is now (`null` when it has since been deleted).
   *   Otherwise the job is inserted as given and opens a new window until `now + ttl`.
   * - `debounce`: when the key's window job is still `scheduled` or `pending`, its payload is
   *   replaced by `job.payload` and its `scheduledAt` becomes `job.scheduledAt`, but never later
   *   than the window's opening plus `dedupe.maxWait` (when set); its status follows its new
   *   `scheduledAt` (`scheduled` when after `now`, else `pending`). The result is `debounced` with
   *   the job afterwards. Otherwise (no window, or its job is running, final or gone) the job is
   *   inserted as given (its `scheduledAt` capped the same way from `now`: at most
   *   `now + maxWait`, and `pending` when that is not after `now`) and opens a new window.
   *
   * A throttle window ends at `expiresAt`. A debounce window has no end in time (`ttl` plays no
   * part in it): it stays open while its job waits (`scheduled` or `pending`) and ends when that
   * job is claimed, finished, cancelled or deleted; the next job of the key then opens a new one.
   *
   * Of concurrent callers with the same queue and key, exactly one inserts. An inserted job sends
   * the same wake-ups as {@link createJobs}.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult>;

  /**
   * Writes a queue's controls, creating its record when there is none (not paused, no limits),
   * and returns the record afterwards. Only the fields present in `patch` change; a field set to
   * `undefined` counts as absent (it changes nothing); `null` removes a limit. `updatedAt = now`.
   * When the queue is (or stays) not paused afterwards, a `jobs` event for it is sent to every
   * subscriber, so that every instance looks for work at once (a resume wakes the whole cluster).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord>;

  /**
   * The stored controls of a queue, or `null` when it has none.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  getQueue(name: string): Promise<QueueRecord | null>;

  /**
   * Every queue with stored controls (see {@link updateQueue}), ordered by name.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  listQueues(): Promise<QueueRecord[]>;

  /**
   * Hands a running job back after its handler reported a rate limit (`rateLimited(delay)`),
   * without penalty, and pushes back its queue or its group, in one atomic step. When the ref is
   * current, the job waits again with `scheduledAt = until` (`scheduled` when after `now`, else
   * `pending`) and its lease cleared; `retryCount`, `lostLeases`, `error` and `history` are kept.
   * With `scope: "group"` and a job that has a group, that group of the queue is not claimed
   * before `until`; otherwise (scope `queue`, or a job without group) the whole queue is not
   * claimed before `until`. A push-back never shortens an earlier, longer one, of the queue or of
   * the group. A queue pushed back that had no stored controls gets a record (not paused, no
   * limits, `limitedUntil = until`, `updatedAt = now`), which {@link getQueue} and {@link listQueues} return from
   * then on; a group push-back gives the queue no record they return. Returns whether the ref was current: a
   * stale ref (not `running` with that attempt and holder in that queue, such as one of an
   * attempt another worker re-claimed) changes nothing and pushes nothing back.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean>;

  /**
   * Creates or replaces a schedule by name, atomically, and returns whether it was written. With
   * `onlyIfAbsent`, only when no schedule of that name exists (of concurrent creators exactly one
   * succeeds). With `expectDefinition`, only when a schedule of that name exists and its
   * `definedAt` and `definedBy` are exactly those (a compare-and-set on the definition: of
   * concurrent writers that read the same record, exactly one succeeds), and, with
   * `expectNextRunAt` as well, only when its `nextRunAt` is that too (a tick fired since the read
   * fails the write).
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean>;

  /**
   * Returns a schedule by name, or `null`.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  getSchedule(name: string): Promise<ScheduleRecord | null>;

  /**
   * Lists all schedules, ordered by name.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  listSchedules(): Promise<ScheduleRecord[]>;

  /**
   * Deletes a schedule; returns whether it existed.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  deleteSchedule(name: string): Promise<boolean>;

  /**
   * Fires one tick of a schedule, atomically: only if the stored `nextRunAt` equals
   * `expectedNextRunAt` (compare-and-set), and, when `expectedDefinition` is given, the stored
   * definition carries that stamp, sets `nextRunAt`, `lastRunAt = firedAt`,
   * `occurrences + jobs.length`, `updatedAt = firedAt`, and inserts `jobs`. A job whose
   * `uniqueKey` is held (by a stored job or an earlier job of the same tick) is skipped but still
   * counts as an occurrence: the tick fired. Of concurrent firers of the same tick exactly one wins.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  fireScheduleTick(tick: ScheduleTick): Promise<FireResult>;

  /**
   * Deletes `completed` jobs with `completedAt < completedBefore`, `dead` jobs with
   * `completedAt < deadBefore` and `cancelled` jobs with `completedAt < cancelledBefore`.
   * Returns how many were deleted.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  cleanup(options: CleanupOptions): Promise<number>;

  /**
   * Counts jobs by status, overall and per queue (`byQueue` is always set; empty queues may be left
   * out). A store keeps these counts as jobs change, so that reading them does not scan the jobs.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  stats(): Promise<Stats>;

  /**
   * Resolves when the backend answers; rejects otherwise.
   *
   * @throws StoreError (`STORE_ERROR`, naming the server, never a password) when the backend
   *   cannot be reached or refuses the store's commands; a store may throw a more specific
   *   `SchedulerError` for a state the user must fix (PostgreSQL's `MigrationRequiredError` for
   *   tables missing or behind). StoreClosedError (`STORE_CLOSED`) after {@link close}.
   */
  ping(): Promise<void>;

  /**
   * The id of the data this store holds: the same as long as the backend keeps its data, and a
   * new one once it lost it (a restart without persistence, a flush, a failover to an empty
   * replica, dropped tables). Creates the id when there is none, atomically, so that concurrent
   * callers on every instance get the same one. The runtime compares it every `lockRefresh` to
   * notice a loss within seconds.
   *
   * @throws StoreClosedError (`STORE_CLOSED`) after {@link close}; StoreError (`STORE_ERROR`)
   *   when the backend fails.
   */
  epoch(): Promise<string>;

  /**
   * Optional push events from every instance sharing the store: `{ type: "jobs", queue }` when
   * jobs may have become available in `queue` (enqueued, made by a tick, retried, requeued,
   * released, recovered, a dead-letter job inserted, a queue resumed), and
   * `{ type: "cancelled", id, queue }` when a running job was cancelled. Returns an unsubscribe function. Polling covers stores without it (and events lost
   * while a connection was down).
   */
  subscribe?(listener: (event: StoreEvent) => void): () => void;

  /**
   * Releases every connection and timer the store opened (a client passed in by the user stays
   * open). Idempotent. Every later call rejects with a `StoreClosedError` (code `STORE_CLOSED`).
   *
   * @throws never `StoreClosedError`: a second `close()` resolves.
   */
  close(): Promise<void>;
}

/**
 * What a {@link Store} supports beyond the rules every store keeps (see `storeConformance` in
 * `@sched/testing`, which skips, by name and reason, the groups a store declares it cannot run).
 */
export interface StoreCapabilities {
  /**
   * `createJobs` joins an application transaction given as `options.transaction`: the jobs exist
   * if and only if it commits. Without it, a `transaction` option is refused with
   * `InvalidArgumentError`.
   */
  readonly transactions: boolean;
  /**
   * `subscribe` pushes events from every instance sharing the store's data (jobs available, cancels
   * of running attempts), not only from this store object.
   */
  readonly pushedEvents: boolean;
  /**
   * A claim costs mostly per call (one statement and its commit, one script call) and little per
   * job, so fewer, larger claims go faster: the runtime's default `claimBatchSize` is then
   * `max(workers + min(prefetch, workers), 50)` (twice the workers with the default prefetch)
   * instead of `max(workers, 50)`, and the prefetch has room for the next claim, sent while one
   * claim's jobs run. Optional; absent means false.
   */
  readonly largeClaims?: boolean;
  /**
   * With {@link largeClaims}: the default `claimBatchSize` takes the free slots and the whole
   * prefetch at once, `max(workers + prefetch, 50)` (four times the workers with the default
   * prefetch), instead of twice the workers. For a store whose server runs the claims of one
   * instance one after another and gains little from a next claim sent early, so that fewer
   * claims of more jobs go faster (PostgreSQL). What a claim may hold waiting is bounded by the
   * prefetch either way. Optional; absent means false; ignored without `largeClaims`.
   */
  readonly wholePrefetchClaims?: boolean;
}

/** An event pushed by a store to its subscribers (see {@link Store.subscribe}). */
export type StoreEvent =
  /** Jobs may have become available in `queue`. */
  | { readonly type: "jobs"; readonly queue: string }
  /**
   * Attempt `attempt` of the running job `id` of `queue` was cancelled: the instance running that
   * attempt should abort it (a later attempt of the same job is not concerned).
   */
  | { readonly type: "cancelled"; readonly id: string; readonly queue: string; readonly attempt: number }
  /**
   * The store's push connection is (again) in place after it was down: events of the outage were
   * lost, so a listener should look for work at once.
   */
  | { readonly type: "connected" };

/** What {@link Store.requeueJob} did. */
export interface RequeueResult {
  /** Whether the job was moved back to `pending` (false: it was in another status and is unchanged). */
  requeued: boolean;
  /** The job as it is afterwards. */
  job: Job;
}

/** Options of {@link Store.saveSchedule}. */
export interface SaveScheduleOptions {
  /** Write only if no schedule of that name exists. */
  onlyIfAbsent?: boolean;
  /** Write only if the stored schedule carries this definition stamp (see {@link Store.saveSchedule}). */
  expectDefinition?: DefinitionStamp;
  /**
   * With `expectDefinition`: write only if the stored `nextRunAt` is also exactly this (`null`:
   * none, the schedule ended or is paused). A record computed from a read (a redefinition that
   * keeps the next run) then cannot put back a tick that a leader fired since.
   */
  expectNextRunAt?: Date | null;
}

/** Who defined a schedule's stored definition, and when: compared to decide which definition wins. */
export interface DefinitionStamp {
  definedAt: Date;
  definedBy: string | null;
}

/** What {@link Store.createJobsAndClaim} returns. */
export interface CreatedAndClaimed {
  /** The new jobs as created, in input order (as {@link Store.createJobs} returns them). */
  jobs: Job[];
  /** The jobs the claim leased (new or older ones), as {@link Store.claimDueJobs} returns them. */
  claimed: Job[];
}

/** Options of {@link Store.createJobs}. */
export interface CreateJobsOptions<Tx = unknown> {
  /** A backend-specific transaction to insert in (e.g. a `pg` `PoolClient` after `BEGIN`). */
  transaction?: Tx;
}

/** The number of failed attempts a store keeps in `Job.history`. */
export const MAX_HISTORY = 25;

/** A job to insert, fully resolved by the runtime. */
export interface NewJobRecord {
  id: string;
  name: string;
  payload: unknown;
  queue: string;
  priority: number;
  maxRetries: number;
  timeout: number;
  scheduledAt: Date;
  createdAt: Date;
  /** `scheduled` when `scheduledAt` is in the future, else `pending`. */
  status: Extract<JobStatus, "pending" | "scheduled">;
  metadata: Record<string, string>;
  uniqueKey: string | null;
  /**
   * The job's group key (a tenant, a user, an account); absent or `null` for none. See
   * {@link Store.claimDueJobs}.
   */
  group?: string | null;
}

/**
 * The job a store returns right after inserting `record`, built without reading it back: every
 * field the store fills in has its initial value. The payload and metadata are copies, so the
 * returned job shares nothing with the caller's input. For store adapters.
 *
 * @example
 * async createJobs(jobs) { await insertAll(jobs); return jobs.map(insertedJob); }
 */
export function insertedJob(record: NewJobRecord): Job {
  const payload = record.payload ?? null;
  return insertedJobAsWritten(
    record,
    typeof payload === "object" && payload !== null ? JSON.parse(JSON.stringify(payload)) : payload,
  );
}

/**
 * {@link insertedJob} with the payload parsed from `payloadJson`, the payload's JSON as the store
 * wrote it: the job returned carries what was stored, even if the caller changed its payload
 * object while the insert was out (build the jobs before an `await`, or with this). For store
 * adapters.
 */
export function insertedJobFromJson(record: NewJobRecord, payloadJson: string): Job {
  return insertedJobAsWritten(record, JSON.parse(payloadJson));
}

function insertedJobAsWritten(record: NewJobRecord, payload: unknown): Job {
  return {
    id: record.id,
    name: record.name,
    payload,
    queue: record.queue,
    priority: record.priority,
    maxRetries: record.maxRetries,
    retryCount: 0,
    timeout: record.timeout,
    scheduledAt: new Date(record.scheduledAt.getTime()),
    createdAt: new Date(record.createdAt.getTime()),
    startedAt: null,
    completedAt: null,
    error: null,
    status: record.status,
    metadata: { ...record.metadata },
    uniqueKey: record.uniqueKey ?? null,
    group: record.group ?? null,
    attempt: 0,
    lostLeases: 0,
    lockedUntil: null,
    lockedBy: null,
    history: [],
  };
}

/**
 * Identifies one attempt of a job and its lease: the attempt number and the lease holder together
 * are the fencing token. The holder makes the token unique even when a claim is lost in a crash
 * of the backend and the same attempt number is handed out again (to another instance). The queue
 * lets a store address the job directly (on Redis, its keys carry the queue's hash tag).
 */
export interface JobRef {
  id: string;
  queue: string;
  attempt: number;
  /** The lease holder of the attempt: the claim's `workerId` (`Job.lockedBy`). */
  lockedBy: string;
}

/** Options of {@link Store.claimDueJobs}. */
export interface ClaimOptions {
  /** The queues to claim from, or `null` for every queue. */
  queues: readonly string[] | null;
  /** The job names the claimer can run, or `null` for any name. */
  names: readonly string[] | null;
  /** The most jobs to claim. */
  limit: number;
  now: Date;
  /** The lease expiry of every claimed job. */
  lockedUntil: Date;
  /** The instance taking the lease (`lockedBy`). */
  workerId: string;
}

/** Options of {@link Store.nextDueAt}. */
export interface NextDueOptions {
  /** The queues to look at, or `null` for every queue. */
  queues: readonly string[] | null;
  /** The job names to look at, or `null` for any name. */
  names: readonly string[] | null;
}

/** Options of {@link Store.waitingJobNames}. */
export interface WaitingNamesOptions {
  /** The queues to look at, or `null` for every queue. */
  queues: readonly string[] | null;
  /** Only jobs with `scheduledAt <= dueBy`. */
  dueBy: Date;
  /** The most names to return. */
  limit: number;
}

/** Options of {@link Store.releaseJobs}. */
export interface ReleaseOptions {
  now: Date;
}

/**
 * The dead-letter job a store inserts together with a job's death (see {@link deadLetterJob}):
 * the handler name and the defaults the runtime resolved for it.
 */
export interface DeadLetterOptions {
  /** The name of the dead-letter job: the handler registered under `deadLetter.queue`. */
  name: string;
  priority: number;
  maxRetries: number;
  /** Handler timeout in ms. */
  timeout: number;
}

/** Options of {@link Store.recoverExpiredLeases}. */
export interface RecoverOptions {
  now: Date;
  /** The most jobs to recover in this call. */
  limit: number;
  /** A job that has already lost this many leases becomes dead instead of pending. */
  maxLostLeases: number;
  /** The text of the history entry (and of `error` for a job made dead that has no error). */
  error: string;
  /** The dead-letter job to insert for each job made dead, or `null` for none. */
  deadLetter: DeadLetterOptions | null;
}

/** Result of {@link Store.recoverExpiredLeases}. */
export interface RecoveredLeases {
  /** The ids of the jobs returned to `pending`, longest expired first. */
  recovered: string[];
  /** The jobs made dead (they had lost too many leases), as they are afterwards. */
  dead: Job[];
}

/** Options of {@link Store.completeJobs}. */
export interface CompleteOptions {
  now: Date;
  /** Delete instead of keeping the completed job. */
  removeOnComplete?: boolean;
}

/** Options of {@link Store.failJob}. */
export interface FailOptions {
  now: Date;
  /**
   * The attempt's error message, as the runtime records it: at most 8,192 UTF-16 code units,
   * without U+0000 or a lone surrogate (the runtime replaces them), so every store keeps it as
   * given. A store may refuse other text (PostgreSQL cannot keep U+0000).
   */
  error: string;
  /** When to retry, or `null` to make the job dead. */
  retryAt: Date | null;
  /** With `retryAt: null`: the dead-letter job to insert with the death, or `null`/absent for none. */
  deadLetter?: DeadLetterOptions | null;
}

/** The metadata key of a dead-letter job that holds the id of the dead job it stands for. */
export const DEAD_LETTER_METADATA = "sched.deadLetter";

/**
 * The id of the dead-letter job of `jobId`'s death at attempt `attempt`:
 * `<jobId>:dead:<attempt>`. Derived, not generated, so a store builds it inside its atomic step
 * (in SQL or Lua as well) and can never insert two for one death.
 */
export function deadLetterJobId(jobId: string, attempt: number): string {
  return `${jobId}:dead:${attempt}`;
}

/**
 * The dead-letter job a store inserts when the job `dead` dies with `options`: named
 * `options.name`, in the dead job's queue, `pending` at `now`, without payload, with
 * `metadata[DEAD_LETTER_METADATA]` = the dead job's id. Stores that build it in SQL or Lua must
 * produce exactly this record (the conformance suite compares them).
 */
export function deadLetterJob(
  dead: Pick<Job, "id" | "queue" | "attempt">,
  options: DeadLetterOptions,
  now: Date,
): NewJobRecord {
  return {
    id: deadLetterJobId(dead.id, dead.attempt),
    name: options.name,
    payload: null,
    queue: dead.queue,
    priority: options.priority,
    maxRetries: options.maxRetries,
    timeout: options.timeout,
    scheduledAt: new Date(now.getTime()),
    createdAt: new Date(now.getTime()),
    status: "pending",
    metadata: { [DEAD_LETTER_METADATA]: dead.id },
    uniqueKey: null,
    group: null,
  };
}

/** Options of {@link Store.cleanup}. */
export interface CleanupOptions {
  completedBefore: Date;
  deadBefore: Date;
  cancelledBefore: Date;
}

/** The misfire policy of a schedule: what to do with ticks missed while no instance ran. */
export type MisfirePolicy = "skip" | "once" | "all";

/**
 * What a schedule is, as the runtime interprets it. Stores persist it as an opaque JSON value.
 */
export interface ScheduleDefinition {
  /** `cron`: a cron expression; `interval`: a fixed real-time interval; `once`: a single run; `daily`: every N days at a wall-clock time. */
  kind: "cron" | "interval" | "once" | "daily";
  /** The cron expression (`cron`) or `HH:MM[:SS]` (`daily`). */
  expression?: string;
  /** Interval in ms (`interval`), or days between runs (`daily`). */
  every?: number;
  /** Anchor instant in ms for `interval` and `daily`, and the run time for `once`. */
  anchor?: number;
  /** IANA time zone; default `UTC`. */
  timezone: string;
  misfire: MisfirePolicy;
  maxOccurrences: number | null;
  /** Epoch ms after which no tick fires, or `null`. */
  until: number | null;
  /** The template of each tick's job. */
  job: {
    queue: string;
    priority: number;
    maxRetries: number;
    timeout: number;
    payload: unknown;
    metadata: Record<string, string>;
    uniqueKey: string | null;
  };
}

/** A persisted schedule with its state. */
export interface ScheduleRecord {
  name: string;
  definition: ScheduleDefinition;
  /** The next tick, or `null` when the schedule has ended. */
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** How many ticks have fired. */
  occurrences: number;
  createdAt: Date;
  updatedAt: Date;
  /** When this definition was written by `schedule()` (or a builder): the latest definition wins. */
  definedAt: Date;
  /** The instance that wrote this definition, or `null` when unknown. */
  definedBy: string | null;
}

/** Arguments of {@link Store.fireScheduleTick}. */
export interface ScheduleTick {
  name: string;
  expectedNextRunAt: Date;
  nextRunAt: Date | null;
  firedAt: Date;
  jobs: NewJobRecord[];
  /**
   * The definition stamp of the record the jobs were made from: when given, the tick fires only if
   * the stored definition still carries it (`definedAt` and `definedBy`, compared as
   * {@link SaveScheduleOptions.expectDefinition} compares them). A definition replaced after the
   * firer read the schedule (with the same timing, so the same `nextRunAt`) must not fire with the
   * replaced one's template.
   */
  expectedDefinition?: DefinitionStamp;
}

/** Result of {@link Store.fireScheduleTick}. */
export interface FireResult {
  /** Whether this caller won the compare-and-set. */
  fired: boolean;
  /** The jobs inserted (empty when not fired, or when every job's unique key was held). */
  jobs: Job[];
}

/** A rate limit: at most `max` jobs started per window of `per` ms (see {@link Store.claimDueJobs}). */
export interface RateLimit {
  /** Jobs per window, an integer ≥ 1. */
  max: number;
  /** The window in ms, an integer ≥ 1. */
  per: number;
}

/** The limits that apply to each group key of a queue, counted per group across all instances. */
export interface GroupLimits {
  /** The most running jobs of one group, or `null` for no limit. */
  concurrency: number | null;
  /** The most jobs of one group started per window, or `null` for no limit. */
  rateLimit: RateLimit | null;
}

/** A queue's stored controls (see {@link Store.updateQueue}). */
export interface QueueRecord {
  name: string;
  /** No job of the queue is claimed while paused; running jobs go on, enqueues still land. */
  paused: boolean;
  /** The most running jobs of the queue across all instances, or `null` for no limit. */
  concurrency: number | null;
  /** The most jobs of the queue started per window across all instances, or `null`. */
  rateLimit: RateLimit | null;
  /** Limits per group key, or `null` for none (fair rotation between groups applies anyway). */
  group: GroupLimits | null;
  /** The queue is not claimed before this instant (a handler's `rateLimited`), or `null`. */
  limitedUntil: Date | null;
  updatedAt: Date;
}

/** The fields of a queue's controls to change (see {@link Store.updateQueue}); absent ones stay. */
export interface QueuePatch {
  paused?: boolean;
  concurrency?: number | null;
  rateLimit?: RateLimit | null;
  group?: GroupLimits | null;
  /** `null` lifts every push-back ({@link Store.rateLimitJob}) of the queue and of its groups. */
  limitedUntil?: null;
}

/** Options of {@link Store.rateLimitJob}. */
export interface RateLimitJobOptions {
  now: Date;
  /** When the job, and its queue or group, may be claimed again. */
  until: Date;
  /** What is pushed back: the job's group (when it has one) or its whole queue. */
  scope: "queue" | "group";
}

/** A deduplication window (see {@link Store.createDedupedJob}). */
export interface DedupeOptions {
  /**
   * The key, per queue. The runtime's keys hold the mode and the job's name as well, as
   * `<mode> <name> <key>` (up to 465 characters): a store keeps them exactly, whatever they hold.
   */
  key: string;
  /** `throttle` drops later jobs of the window; `debounce` folds them into the waiting one. */
  mode: "throttle" | "debounce";
  /** The window in ms (`throttle`); the quiet period is the runtime's business (`debounce`). */
  ttl: number;
  /** `debounce` only: the latest run time is the window's opening plus this (ms), or `null`. */
  maxWait: number | null;
}

/** What {@link Store.createDedupedJob} did. */
export interface DedupeResult {
  /** `created`: the job was inserted; `throttled`: dropped; `debounced`: folded into the waiting one. */
  outcome: "created" | "throttled" | "debounced";
  /** The id of the window's job (the inserted one when `created`). */
  jobId: string;
  /** That job as it is afterwards, or `null` when it no longer exists (`throttled` only). */
  job: Job | null;
}

/** The presence record of a running scheduler instance (see {@link Store.saveInstance}). */
export interface InstanceRecord {
  /** The instance id (`distributed.instanceId`). */
  id: string;
  /** The machine's host name. */
  host: string;
  /** The process id. */
  pid: number;
  /** The version of `@sched/core` it runs. */
  version: string;
  /** The queues it processes, or `null` for every queue. */
  queues: string[] | null;
  /** How many jobs it may run at once. */
  workers: number;
  /** How many jobs it runs now. */
  busy: number;
  /**
   * Whether it fires schedules: the leader when `distributed` is on (one instance at a time), or
   * every instance when it is off. As of its last heartbeat: a leader that died says so until its
   * record expires, beside the new leader's (whose `lastSeenAt` is later).
   */
  leader: boolean;
  /** Whether it takes part in leader election (`distributed.enabled`). */
  distributed: boolean;
  startedAt: Date;
  /** The last heartbeat. */
  lastSeenAt: Date;
  /** When the record counts as stale (a process that stopped without removing it). */
  expiresAt: Date;
}

/** Completed and failed counts of one queue in one minute (see {@link Store.addThroughput}). */
export interface ThroughputSample {
  queue: string;
  /** The start of the minute (a whole minute, UTC). */
  minute: Date;
  /** Attempts completed in that minute. */
  completed: number;
  /** Attempts failed in that minute (each failed attempt, retried or not). */
  failed: number;
}

/** Arguments of {@link Store.throughput}. */
export interface ThroughputQuery {
  /** One queue, or `null` for every queue. */
  queue: string | null;
  /** The first minute wanted. */
  since: Date;
  /** The end (exclusive), or absent for no end. */
  until?: Date;
}
