import { type ResolvedOptions, resolveOptions, type SchedulerOptions } from "./config/options.js";
import { assertStorableTime, JobInput, storableDate } from "./enqueue/job-input.js";
import {
  hasErrorCode,
  InvalidArgumentError,
  InvalidJobStateError,
  InvalidScheduleError,
  JobAlreadyExistsError,
  JobNotFoundError,
  SchedulerError,
  ShuttingDownError,
  StoreError,
  toError,
} from "./errors.js";
import { type HandlerOptions, HandlerRegistry } from "./handlers/handler-registry.js";
import { HookRunner } from "./hooks/hook-runner.js";
import type { Handler, HandlerFn } from "./jobs/handler.js";
import type { Job, JobFilter, JobPage, JobSelector, JobStatus } from "./jobs/job.js";
import type { JobMap, JobName, NewJob, NewJobInput, NewJobOf, PayloadOf } from "./jobs/new-job.js";
import type { Stats } from "./jobs/stats.js";
import type { Leader } from "./leadership/leader.js";
import { LeaderElector } from "./leadership/leader-elector.js";
import { OutputGate } from "./logger/output-gate.js";
import { Maintenance } from "./maintenance/maintenance.js";
import { MemoryStore } from "./memory/index.js";
import type { Middleware } from "./middleware/middleware.js";
import { checkMiddlewareMembers, MiddlewareMembers } from "./middleware/middleware-members.js";
import { type InstanceInfo, Presence, type ThroughputPoint } from "./operations/presence.js";
import { ThroughputRecorder } from "./operations/throughput-recorder.js";
import { type QueueConfig, type QueueInfo, queueInfo, queuePatch } from "./queues/queue-controls.js";
import { AtBuilder, EveryBuilder } from "./schedules/builder.js";
import type { ScheduleState } from "./schedules/schedule-controls.js";
import { ScheduleDefiner } from "./schedules/schedule-definer.js";
import type { ScheduleOptions } from "./schedules/schedule-options.js";
import { ScheduleRunner } from "./schedules/schedule-runner.js";
import { type BackfillRange, ScheduleSteering } from "./schedules/schedule-steering.js";
import { BoundedStore } from "./store/bounded-store.js";
import type {
  ClaimOptions,
  CreateJobsOptions,
  DedupeOptions,
  DedupeResult,
  NewJobRecord,
  QueueRecord,
  ScheduleRecord,
  Store,
} from "./store/store.js";
import { insertedJob } from "./store/store.js";
import { type Duration, parseDuration } from "./time/duration.js";
import { settleBy } from "./time/settle-by.js";
import { dateMs, isDate } from "./validation/dates.js";
import { assertKnownFields } from "./validation/option-names.js";
import { readFields, readOptions, unreadableError } from "./validation/read-options.js";
import { describeValue } from "./validation/text.js";
import { UnhandledNames } from "./worker/unhandled-names.js";
import { ABORT_GRACE_MS, WorkerPool } from "./worker/worker-pool.js";

/** What `stop()` may take beyond `timeout` and the abort grace for the store's last calls (ms). */
const STOP_MARGIN_MS = 3_000;
/** Closing the store and leader a scheduler created gets at least this long (ms). */
const CLOSE_MARGIN_MS = 2_000;

/** The lifecycle of a {@link Scheduler}. */
export type SchedulerState = "idle" | "starting" | "running" | "stopping" | "stopped";

/** Options of `enqueue`, `enqueueAt` and `enqueueMany`. */
export interface EnqueueOptions<Tx = unknown> {
  /**
   * Enqueue inside your own transaction (for PostgreSQL, the `pg` client on which you ran
   * `BEGIN`): the job exists if and only if the transaction commits. Stores without
   * transactions reject it.
   */
  transaction?: Tx;
}

/**
 * Refuses enqueue options that are not an object of known fields: a misspelt `transaction`
 * would otherwise commit the job outside the caller's transaction.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `options` or the unknown field.
 */
function checkEnqueueOptions(options: unknown): void {
  assertKnownFields(options, ["transaction"], "options", { shape: "{ transaction? }" });
}

/** Options of {@link Scheduler.stop}. */
export interface StopOptions {
  /** How long to wait for running jobs before aborting them; default `"30s"`. */
  timeout?: Duration;
}

/**
 * A scheduler instance: recurring schedules, one-time jobs and queues with a worker pool.
 * Create it with {@link createScheduler}. Several instances may share one store (see docs/architecture.md §4).
 */
export class Scheduler<Jobs extends object = JobMap, Tx = unknown> {
  /** The resolved options. */
  readonly options: ResolvedOptions;
  /** The store jobs and schedules live in, as given (or created). */
  readonly store: Store<Tx>;
  /**
   * The store as the scheduler calls it: every call answers within `storeTimeout` or rejects with
   * a `StoreTimeoutError` (`STORE_TIMEOUT`).
   */
  private readonly bounded: Store<Tx>;
  private readonly leader: Leader | undefined;
  private readonly definer: ScheduleDefiner;
  /** Silences the scheduler's log lines and hooks once it has stopped. */
  private readonly gate = new OutputGate();
  private readonly registry = new HandlerRegistry((name) =>
    this.options.logger.warn(
      `the handler of "${name}" was replaced by another one: jobs and schedule ticks of that name run the new one`,
      { name },
    ),
  );
  private readonly input: JobInput;
  private readonly hooks: HookRunner;
  private readonly members: MiddlewareMembers;
  private readonly pool: WorkerPool;
  private readonly runner: ScheduleRunner;
  private readonly steering: ScheduleSteering;
  private readonly elector: LeaderElector;
  private readonly maintenance: Maintenance;
  private readonly recorder: ThroughputRecorder;
  private readonly presence: Presence;
  private readonly ownsStore: boolean;
  private readonly ownsLeader: boolean;
  private state: SchedulerState = "idle";
  private transition: Promise<void> | null = null;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /**
   * Prefer {@link createScheduler}. `owns` says which of the given store and leader the scheduler
   * created itself and must close on `stop()`.
   */
  constructor(given: SchedulerOptions<Tx> = {}, owns: { store?: boolean; leader?: boolean } = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const options = readOptions(given, "", "option");
    const resolved = resolveOptions(options as SchedulerOptions);
    this.options = { ...resolved, logger: this.gate.logger(resolved.logger) };
    this.store = options.store ?? (new MemoryStore() as Store<never> as Store<Tx>);
    this.bounded = new BoundedStore(this.store, this.options.storeTimeout, () => this.storeClosed());
    // The loops' view of the store: once stop() has resolved, a retry or a last flush that outlived
    // its deadline is refused here instead of reaching the backend of a stopped scheduler.
    const loops = new BoundedStore(
      this.store,
      this.options.storeTimeout,
      () => this.storeClosed(),
      () => this.gate.opened,
    );
    this.ownsStore = owns.store ?? false;
    this.ownsLeader = owns.leader ?? false;
    this.leader = options.leader;
    this.input = new JobInput(this.options, this.registry);
    this.hooks = new HookRunner(options.hooks ?? [], this.options.logger, this.gate);
    this.members = new MiddlewareMembers(this.hooks, this.options.logger);
    this.definer = new ScheduleDefiner(this.bounded, this.options, this.registry, this.input, () =>
      this.runner.trigger(),
    );
    const unhandled = new UnhandledNames(loops, this.options, this.registry);
    this.recorder = new ThroughputRecorder(loops, this.options);
    this.pool = new WorkerPool(
      loops,
      this.options,
      this.registry,
      this.hooks,
      unhandled,
      () => {
        // The store's push connection is back after an outage: every loop looks at once, and
        // leadership is renewed before its lease can lapse.
        this.runner.trigger();
        this.maintenance.trigger();
        this.elector.trigger();
      },
      this.recorder,
    );
    this.presence = new Presence(loops, this.options, () => ({
      busy: this.pool.runningCount,
      leader: this.elector.isLeader(),
    }));
    this.elector = new LeaderElector(this.leader, this.options, () => {
      this.runner.trigger();
      // The presence record says who leads: renew it now rather than at the next heartbeat.
      this.presence.trigger();
    });
    this.runner = new ScheduleRunner(
      loops,
      this.options,
      this.hooks,
      this.members,
      () => this.elector.isLeader(),
      () => this.pool.wake(),
      (name) => this.registry.has(name),
      (jobs) => {
        const fixed = this.input.fixedByMiddleware(jobs);
        return () => this.input.recheckMiddlewareChanges(jobs, "tick", fixed);
      },
      async (id, now) => {
        const job = await loops.cancelJob(id, now);
        if (job?.status === "cancelled") this.pool.cancelLocal(id);
      },
    );
    this.steering = new ScheduleSteering(
      this.bounded,
      this.options,
      this.input,
      (records) => this.insert(records, {}),
      () => this.runner.trigger(),
    );
    this.maintenance = new Maintenance(
      loops,
      this.options,
      this.registry,
      this.hooks,
      unhandled,
      this.definer,
      () => this.elector.isLeader(),
      () => this.pool.wake(),
      (waitMs) => this.pool.settleOutcomes(waitMs),
    );
    if (options.middleware) this.use(...options.middleware);
  }

  /** Whether the scheduler is running (started and not stopping). */
  get running(): boolean {
    return this.state === "running";
  }

  /** The lifecycle state. */
  get status(): SchedulerState {
    return this.state;
  }

  /**
   * Jobs running in this instance plus outcomes not yet recorded in the store (failures being
   * recorded, dead-letter handlers running, acknowledgements not yet sent). `0` when this
   * instance has nothing in hand.
   */
  get localWork(): number {
    return this.pool.pendingWork;
  }

  /** The job names this instance has a handler for: its claims ask for exactly these. */
  get handlerNames(): readonly string[] {
    return this.registry.names();
  }

  /** This instance's id (used as the lease owner of the jobs it runs). */
  get instanceId(): string {
    return this.options.distributed.instanceId;
  }

  /** Whether this instance fires schedules now (always true when not distributed). */
  get isLeader(): boolean {
    return this.elector.isLeader();
  }

  /** The current time of the scheduler's clock, in ms. */
  now(): number {
    return this.options.clock.now();
  }

  /**
   * Registers the handler for jobs named `name` (replacing any previous one, with a warning logged
   * when it is another function: a schedule of that name runs it too), with defaults for those
   * jobs. Returns the scheduler for chaining.
   *
   * With a typed job map (`createScheduler<{ send_email: { to: string } }>()`) the name must be one
   * of the map's and the handler receives that name's payload type; otherwise give the payload type
   * yourself: `register<{ to: string }>("send_email", (job) => job.payload.to)`.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad name, handler or option.
   */
  register<P extends Jobs[N] = never, N extends JobName<Jobs> = JobName<Jobs>>(
    name: N,
    handler: HandlerFn<PayloadOf<Jobs, N, P>> | Handler<PayloadOf<Jobs, N, P>>,
    given: HandlerOptions = {},
  ): this {
    const options = readOptions(given, "options");
    const valid = this.input.name(name, "name");
    if (options?.queue !== undefined) this.input.name(options.queue, "queue");
    this.registry.register(valid, handler as HandlerFn, options);
    // Claims ask only for registered names: jobs of this one may be waiting already.
    this.pool.wake();
    return this;
  }

  /**
   * Adds middleware around every handler; the first given is the outermost. A middleware's
   * optional members (`hooks`, `wrapEnqueue`, `wrapTick`, `attach`) are installed with it.
   * Returns the scheduler.
   *
   * @throws InvalidArgumentError when a middleware is not a function or a member has the wrong type.
   */
  use(...middleware: Middleware[]): this {
    for (const mw of middleware) if (typeof mw === "function") checkMiddlewareMembers(mw);
    this.registry.use(middleware);
    for (const mw of middleware) this.members.add(mw);
    return this;
  }

  /**
   * Enqueues a job. It runs at `runAt`, after `delay`, or as soon as a worker is free. With a typed
   * job map, the name must be one of the map's and the payload of that name's type.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for bad fields (the message names the field),
   *   PayloadTooLargeError (`PAYLOAD_TOO_LARGE`), UnknownHandlerError (`UNKNOWN_HANDLER`, with
   *   `strictHandlers`), JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) for a `uniqueKey` held in the
   *   job's queue, ShuttingDownError (`SHUTTING_DOWN`) once stopping. With `options.transaction`,
   *   the insert joins that transaction.
   */
  async enqueue<P extends Jobs[N] = never, N extends JobName<Jobs> = JobName<Jobs>>(
    job: NewJobInput<NoInfer<PayloadOf<Jobs, N, P>>> & { name: N },
    given: EnqueueOptions<Tx> = {},
  ): Promise<Job<PayloadOf<Jobs, N, P>>> {
    const options = readOptions(given, "options");
    checkEnqueueOptions(options);
    const record = this.input.toRecord(job, "job");
    this.input.refuseReservedMetadata(record, "job");
    const dedupe = this.input.dedupe(job as NewJob, "job");
    if (dedupe !== null)
      return (await this.insertDeduped(record, dedupe, options)) as Job<PayloadOf<Jobs, N, P>>;
    const [created] = await this.insert([record], options);
    return created as Job<PayloadOf<Jobs, N, P>>;
  }

  /**
   * Enqueues a job to run at `runAt` (a shorthand for `enqueue({ ...job, runAt })`).
   *
   * @throws the errors of {@link enqueue}; InvalidArgumentError (`INVALID_ARGUMENT`) when `runAt`
   *   is not a Date (an `undefined` one would run the job now).
   */
  enqueueAt<P extends Jobs[N] = never, N extends JobName<Jobs> = JobName<Jobs>>(
    job: NewJobInput<NoInfer<PayloadOf<Jobs, N, P>>> & { name: N },
    runAt: Date,
    options: EnqueueOptions<Tx> = {},
  ): Promise<Job<PayloadOf<Jobs, N, P>>> {
    if (!isDate(runAt)) {
      return Promise.reject(
        new InvalidArgumentError("runAt", `expected a Date, got ${describeValue(runAt)}`),
      );
    }
    let timed!: NewJobInput<NoInfer<PayloadOf<Jobs, N, P>>> & { name: N };
    try {
      timed = { ...(job as NewJob), runAt } as unknown as typeof timed;
    } catch {
      return Promise.reject(unreadableError("job"));
    }
    return this.enqueue<P, N>(timed, options);
  }

  /**
   * Enqueues many jobs in one store round trip. All or nothing: if one is invalid or its
   * `uniqueKey` is held, none is enqueued. The jobs share one instant: their `createdAt`, and the
   * `scheduledAt` of those without `runAt` or `delay` (a `delay` counts from it).
   *
   * @throws the errors of {@link enqueue}, naming the job's index (`jobs[3].payload`).
   */
  async enqueueMany(jobs: NewJobOf<Jobs>[], given: EnqueueOptions<Tx> = {}): Promise<Job[]> {
    const options = readOptions(given, "options");
    checkEnqueueOptions(options);
    // The array read once, element by element, in one guarded pass: a proxy or getter that
    // throws is the caller's bad argument, named by the element it was reading.
    let list: NewJob[] = [];
    let reading = -1;
    try {
      if (!Array.isArray(jobs)) throw new InvalidArgumentError("jobs", "expected an array of jobs");
      const length = jobs.length;
      list = new Array(length);
      for (reading = 0; reading < length; reading++) list[reading] = jobs[reading] as NewJob;
    } catch (err) {
      throw err instanceof SchedulerError ? err : unreadableError(reading < 0 ? "jobs" : `jobs[${reading}]`);
    }
    if (list.length === 0) return [];
    // A for loop, not map: map skips the holes of a sparse array, which must be refused too.
    const records: NewJobRecord[] = new Array(list.length);
    // One instant for the batch: its jobs are created together.
    const now = this.now();
    for (let i = 0; i < list.length; i++) {
      const path = `jobs[${i}]`;
      records[i] = this.input.toRecord(list[i] as NewJob, path, undefined, now);
      this.input.refuseReservedMetadata(records[i] as NewJobRecord, path);
      // Read once more, as every field: a getter that throws is named by its field.
      const { dedupe } = readFields(list[i] as NewJob, ["dedupe"], path);
      if (dedupe !== undefined)
        throw new InvalidArgumentError(`${path}.dedupe`, "deduplication windows are taken by enqueue() only");
    }
    return this.insert(records, options);
  }

  /**
   * The job with that id, or `null`.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for an id no job can have (not a string of 1
   *   to 200 well-formed characters without U+0000).
   */
  async getJob<P = unknown>(id: string): Promise<Job<P> | null> {
    return (await this.bounded.getJob(this.input.jobId(id))) as Job<P> | null;
  }

  /**
   * A page of jobs, by status, queue, name, group and creation time (`from <= createdAt < to`),
   * oldest first (or newest first with `order: "desc"`), at most `limit` (default 100, at most
   * 10,000). Pass the page's `nextCursor` as `cursor` for the next page (keyset paging: a deep page
   * costs what the first does); `nextCursor` is `null` on the last page.
   *
   * @example
   * let cursor: string | null = null;
   * do { const page = await s.listJobs({ status: "dead", cursor }); cursor = page.nextCursor; } while (cursor);
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming a bad or unknown filter field, or a
   *   cursor that is not a page's `nextCursor`.
   */
  async listJobs(filter: JobFilter = {}): Promise<JobPage> {
    return this.bounded.listJobs(this.input.jobFilter(readOptions(filter, "filter")));
  }

  /**
   * Retries, in bulk, the dead jobs the selector matches, or the cancelled ones too when `status`
   * names `cancelled` (a cancel is deliberate: an empty selector never undoes one): each goes back
   * to `pending` with a fresh budget, as {@link retryJob} does; a job whose `uniqueKey` is held
   * meanwhile stays. Returns how many were retried.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming a bad selector field, or `status`
   *   when it names a status other than `dead` and `cancelled` (no other job can be retried, so
   *   such a selector is a mistake rather than a request for nothing).
   */
  async retryJobs(selector: JobSelector = {}): Promise<number> {
    const checked = this.input.jobSelector(readOptions(selector, "selector"), false);
    const statuses: JobStatus[] = checked.status === undefined ? [] : [checked.status].flat();
    const wrong = statuses.find((status) => status !== "dead" && status !== "cancelled");
    if (wrong !== undefined) {
      throw new InvalidArgumentError(
        "status",
        `only dead or cancelled jobs can be retried, got "${wrong}" (promoteJob runs a waiting job now)`,
      );
    }
    const count = await this.bounded.retryJobs(
      statuses.length === 0 ? { ...checked, status: "dead" } : checked,
      new Date(this.now()),
    );
    if (count > 0) this.claimNow();
    return count;
  }

  /**
   * Deletes, in bulk, the jobs the selector matches, except running ones. Returns how many were
   * deleted.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming a bad selector field, for an empty
   *   selector (deleting every job takes an explicit `status`), or naming `status` when it is
   *   `running` (running jobs are never deleted: cancel them first).
   */
  async deleteJobs(selector: JobSelector): Promise<number> {
    const checked = this.input.jobSelector(readOptions(selector, "selector"), true);
    if (checked.status !== undefined && [checked.status].flat().includes("running")) {
      throw new InvalidArgumentError(
        "status",
        `running jobs are never deleted, got "running" (cancel them first, then delete the cancelled jobs)`,
      );
    }
    return this.bounded.deleteJobs(checked);
  }

  /**
   * Deletes one job that is not running (cancel a running job first). Returns it as it was.
   *
   * @throws JobNotFoundError (`JOB_NOT_FOUND`); InvalidJobStateError (`INVALID_JOB_STATE`) when the
   *   job is running; InvalidArgumentError (`INVALID_ARGUMENT`) for an id no job can have.
   */
  async deleteJob(id: string): Promise<Job> {
    const checked = this.input.jobId(id);
    const deleted = await this.bounded.deleteJob(checked);
    if (deleted) return deleted;
    const job = await this.bounded.getJob(checked);
    if (!job) throw new JobNotFoundError(id);
    throw new InvalidJobStateError(
      id,
      job.status,
      `job ${id} is ${job.status}; cancel it before deleting it`,
    );
  }

  /**
   * Makes a scheduled job (or a failed one waiting for its retry) due now. Returns it afterwards.
   *
   * @throws JobNotFoundError (`JOB_NOT_FOUND`); InvalidJobStateError (`INVALID_JOB_STATE`) when the
   *   job is not waiting for a later run time; InvalidArgumentError (`INVALID_ARGUMENT`) for an id
   *   no job can have.
   */
  async promoteJob(id: string): Promise<Job> {
    const before = await this.bounded.getJob(this.input.jobId(id));
    if (!before) throw new JobNotFoundError(id);
    if (before.status !== "scheduled" && before.status !== "failed") {
      throw new InvalidJobStateError(
        id,
        before.status,
        `job ${id} is ${before.status}; only scheduled or failed jobs can be promoted`,
      );
    }
    const job = await this.bounded.promoteJob(before.id, new Date(this.now()));
    if (!job) throw new JobNotFoundError(id);
    this.claimNow();
    return job;
  }

  /**
   * The scheduler instances running on this store (each records its presence while it runs,
   * renewed every 10 s; one that died drops out after 30 s), ordered by id.
   */
  async listInstances(): Promise<InstanceInfo[]> {
    const records = await this.bounded.listInstances(new Date(this.now()));
    return records.map(({ expiresAt: _expiresAt, ...instance }) => instance);
  }

  /**
   * Completed and failed attempts per minute since `since` (and before `until`), of one queue or
   * of all, ordered by minute. Every instance adds its counts every 10 s (this one's are added
   * first); the store keeps two days of them.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad queue name or date.
   */
  async throughput(given: { queue?: string; since: Date; until?: Date }): Promise<ThroughputPoint[]> {
    const options = readOptions(given, "options");
    assertKnownFields(options, ["queue", "since", "until"], "options", {
      shape: "{ since, until?, queue? }",
    });
    const queue = options.queue === undefined ? null : this.input.name(options.queue, "queue");
    for (const field of ["since", "until"] as const) {
      const value = options[field];
      if (value === undefined && field === "until") continue;
      if (Number.isNaN(dateMs(value)))
        throw new InvalidArgumentError(field, `expected a valid Date, got ${describeValue(value)}`);
    }
    await this.recorder.flush().catch(() => {});
    // A bound past the years 1 to 9999 holds no sample: the nearest instant within them is exact.
    const samples = await this.bounded.throughput({
      queue,
      since: storableDate(options.since.getTime()),
      ...(options.until === undefined ? {} : { until: storableDate(options.until.getTime()) }),
    });
    const byMinute = new Map<number, ThroughputPoint>();
    for (const sample of samples) {
      const minute = sample.minute.getTime();
      const point = byMinute.get(minute) ?? { minute: new Date(minute), completed: 0, failed: 0 };
      point.completed += sample.completed;
      point.failed += sample.failed;
      byMinute.set(minute, point);
    }
    return [...byMinute.values()].sort((a, b) => a.minute.getTime() - b.minute.getTime());
  }

  /**
   * Cancels a job. A waiting job becomes `cancelled`; a running job becomes `cancelled` and its
   * `ctx.signal` aborts within milliseconds, here or on the instance running it (the store pushes
   * the cancel). A final job is returned unchanged.
   *
   * @throws JobNotFoundError (`JOB_NOT_FOUND`); InvalidArgumentError (`INVALID_ARGUMENT`) for an id
   *   no job can have.
   */
  async cancel(id: string): Promise<Job> {
    const job = await this.bounded.cancelJob(this.input.jobId(id), new Date(this.now()));
    if (!job) throw new JobNotFoundError(id);
    if (job.status === "cancelled") this.pool.cancelLocal(id);
    return job;
  }

  /**
   * Moves a dead (or cancelled) job back to pending with a fresh budget: its `retryCount` and
   * `lostLeases` are reset (its `attempt`, the fencing token, keeps rising). It runs again as soon
   * as a worker is free.
   *
   * @throws JobNotFoundError (`JOB_NOT_FOUND`); InvalidJobStateError (`INVALID_JOB_STATE`) when the
   *   job is neither dead nor cancelled; JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) when its
   *   `uniqueKey` is held by another active job of its queue meanwhile.
   */
  async retryJob(id: string): Promise<Job> {
    const result = await this.bounded.requeueJob(this.input.jobId(id), new Date(this.now()));
    if (!result) throw new JobNotFoundError(id);
    if (!result.requeued) {
      throw new InvalidJobStateError(
        id,
        result.job.status,
        `job ${id} is ${result.job.status}; only dead or cancelled jobs can be retried`,
      );
    }
    this.claimNow();
    return result.job;
  }

  /**
   * Runs `handler` on a cron schedule: 5 fields, 6 with leading seconds, or a macro such as
   * `@daily`. Re-defining a schedule with the same definition (e.g. on restart) keeps its state,
   * so it continues where it stopped; a changed definition starts afresh (`occurrences` from 0,
   * the next run from now), unless only the job template or policies changed: then the stored next
   * run and `occurrences` are kept, so a due tick fires with the new template.
   *
   * @throws InvalidScheduleError for an invalid expression or time zone.
   */
  schedule<N extends JobName<Jobs>>(
    name: N,
    cron: string,
    handler: HandlerFn<Jobs[N]> | Handler<Jobs[N]>,
    options: ScheduleOptions = {},
  ): Promise<ScheduleRecord> {
    if (typeof cron !== "string")
      throw new InvalidScheduleError(`cron expression must be a string, got ${typeof cron}`);
    return this.definer.define(
      name,
      { kind: "cron", expression: cron.trim() },
      handler as HandlerFn,
      options,
    );
  }

  /** Starts a fluent recurring schedule: `every(5).minutes().do(name, fn)`. */
  every(n: number): EveryBuilder<Jobs> {
    return new EveryBuilder<Jobs>(this.definer, n);
  }

  /** Starts a one-time schedule: `at(date).do(name, fn)`. */
  at(date: Date): AtBuilder<Jobs> {
    return new AtBuilder<Jobs>(this.definer, date);
  }

  /** Deletes a schedule; jobs it already enqueued still run. Returns whether it existed. */
  async unschedule(name: string): Promise<boolean> {
    return this.bounded.deleteSchedule(this.input.name(name, "name"));
  }

  /**
   * Lists the stored schedules, ordered by name, each with its next and last run, its
   * occurrences and whether it is paused.
   */
  listSchedules(): Promise<ScheduleState[]> {
    return this.steering.list();
  }

  /**
   * The stored schedule `name` with its state: `paused`, `nextRunAt` (`null` while paused or once
   * it has ended), `lastRunAt`, `occurrences`, and its definition (cron or interval, `overlap`,
   * `jitter` in ms, `startAt` in epoch ms or `null`, the job template). `null` when there is none.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a name no schedule can have.
   */
  getSchedule(name: string): Promise<ScheduleState | null> {
    return this.steering.get(name);
  }

  /**
   * Pauses a schedule for every instance: the leader fires none of its ticks until it is resumed
   * (jobs it already enqueued still run; `triggerSchedule` and `backfillSchedule` still work). The
   * paused state is stored, so the next leader keeps it, and defining the schedule again
   * (`schedule()` on a restart, even with a changed definition) keeps it paused. `nextRunAt` is
   * `null` while paused. Pausing a paused schedule changes nothing. Returns the schedule afterwards.
   *
   * @throws ScheduleNotFoundError (`SCHEDULE_NOT_FOUND`) when no schedule has that name;
   *   InvalidArgumentError (`INVALID_ARGUMENT`) for a name no schedule can have.
   */
  pauseSchedule(name: string): Promise<ScheduleState> {
    return this.steering.pause(name);
  }

  /**
   * Resumes a paused schedule: its next run is planned from now, the first planned time after
   * now (not before its `startAt`). Ticks that fell during the pause are not run, not even as
   * misfires; `backfillSchedule` runs them if they are wanted. A schedule that ended meanwhile
   * (`until` passed, `maxOccurrences` reached) stays ended. Resuming a running schedule changes
   * nothing. Returns the schedule afterwards.
   *
   * @throws ScheduleNotFoundError (`SCHEDULE_NOT_FOUND`); InvalidArgumentError (`INVALID_ARGUMENT`)
   *   for a name no schedule can have.
   */
  resumeSchedule(name: string): Promise<ScheduleState> {
    return this.steering.resume(name);
  }

  /**
   * Enqueues one extra run of a schedule now, from its job template, on any instance (leader or
   * not), paused or not. The plan is unchanged: `nextRunAt`, `lastRunAt` and `occurrences` stay as
   * they are, and the overlap policy neither holds it back nor cancels it. The job's metadata has
   * `sched.schedule` = the name, `sched.tick` = now (ISO 8601) and `sched.origin` = `"trigger"`.
   * Returns the job.
   *
   * @throws ScheduleNotFoundError (`SCHEDULE_NOT_FOUND`); JobAlreadyExistsError
   *   (`JOB_ALREADY_EXISTS`) when the template's `uniqueKey` is held by an active job;
   *   ShuttingDownError (`SHUTTING_DOWN`) once the scheduler is stopping.
   */
  triggerSchedule(name: string): Promise<Job> {
    return this.steering.trigger(name);
  }

  /**
   * The next `count` planned run times of a schedule, from its stored state: from its
   * `nextRunAt` on (a time already due when no leader has fired it yet), honouring `startAt`,
   * `until` and `maxOccurrences` (fewer times when it ends first; none once it has ended). For a
   * paused schedule, the times it would run at if it were resumed now. These are tick times: with
   * `jitter`, each tick's job runs up to `jitter` later.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `count`) unless `count` is an integer
   *   from 1 to 1000; ScheduleNotFoundError (`SCHEDULE_NOT_FOUND`).
   */
  previewSchedule(name: string, count: number): Promise<Date[]> {
    return this.steering.preview(name, count);
  }

  /**
   * Enqueues a job for each run time the schedule planned in `[from, to)` (its plan from the
   * cron or interval, not before `startAt`, not after `until`; `maxOccurrences` does not limit
   * it), all in one store call, and returns them in run-time order. Each job's `scheduledAt` is
   * the run time it stands for (so they are due at once and run oldest first), its metadata
   * `sched.tick` that time and `sched.origin` `"backfill"`; it has no `uniqueKey`. The schedule's
   * state is unchanged, and the overlap policy does not apply. Works paused or not, on any instance.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `range.from` or `range.to` when not a
   *   valid Date, `range.to` when not after `from` or after now, `range` when more than 10,000
   *   runs fall in it; ScheduleNotFoundError (`SCHEDULE_NOT_FOUND`); ShuttingDownError
   *   (`SHUTTING_DOWN`) once the scheduler is stopping.
   */
  backfillSchedule(name: string, range: BackfillRange): Promise<Job[]> {
    return this.steering.backfill(name, range);
  }

  /**
   * Starts processing: pings the store (rejecting with its error if unreachable), takes part in
   * leader election when distributed, and starts claiming jobs and firing schedules. Resolves once
   * running; work continues in the background until {@link stop}.
   */
  async start(): Promise<void> {
    if (this.state === "running") return;
    if (this.transition) {
      await this.transition;
      // The transition may have changed the state meanwhile.
      if ((this.state as SchedulerState) === "running") return;
    }
    this.state = "starting";
    this.gate.open();
    this.transition = (async () => {
      try {
        await this.bounded.ping();
      } catch (err) {
        this.state = "idle";
        throw err instanceof SchedulerError
          ? err
          : new StoreError("the store is unreachable", { cause: err });
      }
      try {
        await this.elector.start();
      } catch (err) {
        this.state = "idle";
        throw err;
      }
      // The scheduler's own timers are unref'd; this keeps the process alive while it runs.
      this.keepAlive = setInterval(() => {}, 1 << 30);
      this.pool.start();
      this.runner.start();
      this.maintenance.start();
      this.recorder.start();
      // The first presence record is written before start() resolves, so listInstances shows it.
      await this.presence.start();
      this.state = "running";
      this.members.attachAll({
        instanceId: this.instanceId,
        storeKey: this.store,
        now: () => this.now(),
        stats: () => this.stats(),
        logger: this.options.logger,
      });
    })();
    try {
      await this.transition;
    } finally {
      this.transition = null;
    }
  }

  /**
   * Stops: no new claims (a claim in flight when `stop()` begins ends inside it, its jobs returned
   * to the queue at once), waits for running jobs up to `timeout` (default 30 s) while still
   * renewing their leases, then aborts the rest (their `ctx.signal` fires with a
   * `ShuttingDownError`) and returns them to the queue at once without using a retry (also a job
   * whose handler returns normally once aborted: its work may be undone). Then it
   * releases leadership, clears every timer and closes the store and leader it created itself
   * (`createSchedulerFromEnv`), also when it was never started. After it resolves no handler
   * starts, no hook, timer or log line of this scheduler runs, and its loops send nothing more to
   * the store (what is still unsent then, such as acknowledgements, is dropped: those jobs are
   * recovered when their leases expire).
   *
   * It resolves within `timeout` + 1 s (the grace aborted handlers get to settle) + 3 s (the
   * store's last calls: recording outcomes, releasing leadership, closing), even when the store
   * hangs: store calls still pending then are abandoned, and the jobs they concerned are recovered
   * when their leases expire.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad `timeout`.
   */
  async stop(given: StopOptions = {}): Promise<void> {
    const options = readOptions(given, "options");
    assertKnownFields(options, ["timeout"], "options");
    const timeoutMs = parseDuration(options.timeout ?? "30s", "timeout");
    if (this.transition) await this.transition.catch(() => {});
    // Real time: what can overrun it is a backend that hangs, and that hangs in real time.
    const deadline = Date.now() + timeoutMs + ABORT_GRACE_MS + STOP_MARGIN_MS;
    if (this.state === "idle") {
      // Never started (a producer-only process): close what this scheduler created all the same.
      this.state = "stopping";
      this.transition = this.closeOwned(deadline);
    } else if (this.state === "running") {
      this.state = "stopping";
      // Running jobs get `timeout` from now; the loops stop meanwhile, not before it.
      const jobsEnd = this.now() + timeoutMs;
      this.transition = (async () => {
        const loops = settleBy(Promise.all([this.runner.stop(), this.maintenance.stop()]), deadline);
        await this.pool.stop(jobsEnd, deadline);
        await loops;
        await settleBy(this.recorder.stop(), deadline);
        await this.presence.stop(deadline);
        await settleBy(this.elector.stop(), deadline);
        this.members.detachAll();
        if (this.keepAlive) clearInterval(this.keepAlive);
        this.keepAlive = null;
        await this.closeOwned(deadline);
      })();
    } else {
      return;
    }
    try {
      await this.transition;
    } finally {
      this.transition = null;
      this.state = "stopped";
      // Whatever was abandoned at the deadline may still settle: it must not log or call hooks.
      this.gate.close();
    }
  }

  /**
   * The store was closed under a running scheduler: it never answers again, so the scheduler stops
   * (once, logged) instead of leaving its loops to fail.
   */
  private storeClosed(): void {
    if (this.state !== "running") return;
    this.options.logger.error("the store was closed while the scheduler was running; stopping the scheduler");
    void this.stop({ timeout: 0 }).catch(() => {});
  }

  /** Closes the leader and store this scheduler created itself (both are attempted), by `deadline`. */
  private async closeOwned(deadline: number): Promise<void> {
    const closes: Promise<unknown>[] = [];
    if (this.ownsLeader && this.leader?.close) closes.push(this.leader.close().catch(() => {}));
    if (this.ownsStore) closes.push(this.store.close().catch(() => {}));
    await settleBy(Promise.all(closes), Math.max(deadline, Date.now() + CLOSE_MARGIN_MS));
  }

  /** Job counts by status, overall and per queue. */
  stats(): Promise<Stats> {
    return this.bounded.stats();
  }

  /**
   * Pauses a queue on every instance sharing the store: no instance claims its jobs until
   * {@link resumeQueue}; running jobs finish, enqueues and schedule ticks still land in it. The
   * state is stored, so it outlives restarts. Returns the queue afterwards.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad queue name.
   */
  async pauseQueue(name: string): Promise<QueueInfo> {
    const queue = this.input.name(name, "name");
    const record = await this.bounded.updateQueue(queue, { paused: true }, new Date(this.now()));
    // Jobs of the queue prefetched here are handed back rather than started.
    this.pool.queuePaused(queue);
    return this.describeQueue(record);
  }

  /**
   * Resumes a queue: lifts a pause and every push-back of the queue and of its groups (a handler's
   * `rateLimited`), and wakes every instance sharing the store to claim at once (stores without
   * pushed events: within `pollInterval`). The job whose handler threw `rateLimited` keeps its own
   * wait (it is `scheduled` until its delay ends); {@link promoteJob} runs it now. Returns the queue
   * afterwards.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad queue name.
   */
  async resumeQueue(name: string): Promise<QueueInfo> {
    const queue = this.input.name(name, "name");
    const record = await this.bounded.updateQueue(
      queue,
      { paused: false, limitedUntil: null },
      new Date(this.now()),
    );
    this.claimNow();
    return this.describeQueue(record);
  }

  /**
   * Sets a queue's limits across all instances, enforced by the store at claim time:
   * `concurrency` (running jobs of the queue), `rateLimit: { max, per }` (jobs started per fixed
   * window of `per`, windows aligned to the Unix epoch), and `group: { concurrency, rateLimit }`
   * (the same per group key). A field left out keeps its stored value; `null` removes the limit.
   * Returns the queue afterwards.
   *
   * @example
   * await s.configureQueue("emails", { concurrency: 10, rateLimit: { max: 100, per: "1m" }, group: { concurrency: 1 } });
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming a bad field (limits are integers ≥ 1,
   *   `per` a duration of at least 1 ms).
   */
  async configureQueue(name: string, given: QueueConfig): Promise<QueueInfo> {
    const config = readOptions(given, "config");
    const queue = this.input.name(name, "name");
    const patch = queuePatch(config);
    if (patch.group != null && config.group != null) {
      // `group` fields left out keep their stored values, as the top-level fields do.
      const stored = (await this.bounded.getQueue(queue))?.group ?? null;
      const concurrency =
        config.group.concurrency === undefined ? (stored?.concurrency ?? null) : patch.group.concurrency;
      const rateLimit =
        config.group.rateLimit === undefined ? (stored?.rateLimit ?? null) : patch.group.rateLimit;
      patch.group = concurrency === null && rateLimit === null ? null : { concurrency, rateLimit };
    }
    const record = await this.bounded.updateQueue(queue, patch, new Date(this.now()));
    this.claimNow();
    return this.describeQueue(record);
  }

  /**
   * A queue's state, limits and job counts (a queue nobody configured shows no limits).
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad queue name.
   */
  async getQueue(name: string): Promise<QueueInfo> {
    const queue = this.input.name(name, "name");
    const [record, stats] = await Promise.all([this.bounded.getQueue(queue), this.bounded.stats()]);
    return queueInfo(queue, record, countsOf(stats, queue), this.options.queueConcurrency[queue], this.now());
  }

  /**
   * Every queue known to the store (configured, or holding jobs) and to this instance (its
   * `queues` option), ordered by name, with state, limits and counts by status.
   */
  async listQueues(): Promise<QueueInfo[]> {
    const [records, stats] = await Promise.all([this.bounded.listQueues(), this.bounded.stats()]);
    const byName = new Map(records.map((record) => [record.name, record]));
    const names = new Set<string>([
      ...byName.keys(),
      ...Object.keys(stats.byQueue ?? {}),
      ...(this.options.queues ?? []),
    ]);
    const now = this.now();
    return [...names]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) =>
        queueInfo(
          name,
          byName.get(name) ?? null,
          countsOf(stats, name),
          this.options.queueConcurrency[name],
          now,
        ),
      );
  }

  private async describeQueue(record: QueueRecord): Promise<QueueInfo> {
    const stats = await this.bounded.stats();
    return queueInfo(
      record.name,
      record,
      countsOf(stats, record.name),
      this.options.queueConcurrency[record.name],
      this.now(),
    );
  }

  /**
   * Returns a health check for readiness probes: it resolves when the scheduler is running and the
   * store answers within `timeout` (default `"2s"`, in real time), and throws otherwise:
   * `ShuttingDownError` (`SHUTTING_DOWN`) when not running, `StoreStateLostError`
   * (`STORE_STATE_LOST`) for 5 minutes after the store was noticed to have lost its data,
   * `StoreTimeoutError` (`STORE_TIMEOUT`) when the store hangs, `StoreError` (`STORE_ERROR`, or the
   * store's own code) when it fails.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad `timeout`.
   */
  healthCheck(given: { timeout?: Duration } = {}): () => Promise<void> {
    const options = readOptions(given, "options");
    assertKnownFields(options, ["timeout"], "options");
    const timeoutMs = parseDuration(options.timeout ?? "2s", "timeout");
    return async () => {
      if (this.state !== "running")
        throw new ShuttingDownError(`the scheduler is ${this.state}, not running`);
      const lost = this.maintenance.stateLoss();
      if (lost !== null) throw lost;
      try {
        await new BoundedStore(this.store, timeoutMs).ping();
      } catch (err) {
        if (err instanceof SchedulerError) throw err;
        throw new StoreError("the store is unreachable", { cause: err });
      }
    };
  }

  /**
   * Deletes completed jobs that finished more than `olderThan` ago; returns how many. The runtime
   * also does this periodically. An `olderThan` reaching before the year 1 deletes nothing.
   *
   * @param olderThan A duration (ms, or a string such as `"7d"`).
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `olderThan`) for a bad duration.
   */
  cleanupCompleted(olderThan: Duration): Promise<number> {
    const ms = parseDuration(olderThan, "olderThan");
    return this.bounded.cleanup({
      completedBefore: storableDate(this.now() - ms),
      deadBefore: new Date(0),
      cancelledBefore: new Date(0),
    });
  }

  /**
   * After a write of this scheduler that may have made jobs claimable went through (a retry, a
   * promotion, a queue resumed or its limits changed, a deduplicated enqueue): the store answers,
   * so a backoff of failed claims ends (see `JobClaimer.storeAnswered`), and the loop claims.
   * Without it, a store that pushes no event for the write left those jobs until the backoff's
   * timer.
   */
  private claimNow(): void {
    this.pool.storeAnswered();
    this.pool.wake();
  }

  private async insert(records: NewJobRecord[], options: EnqueueOptions<Tx>): Promise<Job[]> {
    if (this.state === "stopping" || this.state === "stopped") {
      throw new ShuttingDownError("the scheduler is stopping or stopped; it accepts no new jobs");
    }
    const createOptions =
      options.transaction === undefined ? undefined : { transaction: options.transaction };
    // Workers idle here: claim in the insert's round trip (outside an application transaction,
    // whose jobs must not start before it commits).
    const claim =
      createOptions === undefined &&
      this.bounded.createJobsAndClaim !== undefined &&
      records.some((record) => record.status === "pending")
        ? this.pool.enqueueClaim(records.length)
        : null;
    let claimed: Job[] = [];
    let jobs: Job[];
    try {
      jobs = await this.create(records, createOptions, claim, (taken) => {
        claimed = taken;
      });
    } catch (err) {
      // Jobs leased before a middleware failed after the insert exist and are this instance's.
      if (claim !== null) this.pool.enqueueClaimed(claim, claimed);
      // Stores name the key; the queue it is held in is the one of the job that asked for it.
      // By code: a store built against the other module format throws its own copy of the class.
      if (hasErrorCode(err, "JOB_ALREADY_EXISTS")) {
        const held = err as Error &
          Partial<Pick<JobAlreadyExistsError, "uniqueKey" | "existingJobId" | "queue">>;
        const uniqueKey = held.uniqueKey ?? "";
        const queue = held.queue ?? records.find((record) => record.uniqueKey === uniqueKey)?.queue ?? null;
        if (!(err instanceof JobAlreadyExistsError) || err.queue === null)
          throw new JobAlreadyExistsError(uniqueKey, held.existingJobId ?? null, queue);
      }
      throw err;
    }
    if (this.hooks.has("onEnqueue")) for (const job of jobs) this.hooks.onEnqueue(job);
    // Outside an application transaction the insert has committed: the store answers.
    if (createOptions === undefined) this.pool.storeAnswered();
    if (claim !== null) this.pool.enqueueClaimed(claim, claimed);
    // Every new job started here: the claim loop has nothing new to look at.
    if (!startedAll(records, claimed)) this.pool.wake();
    return jobs;
  }

  /**
   * Enqueues one job under a deduplication window (see `NewJob.dedupe`). A debounced job waits
   * `ttl` from now. Returns the window's job: the new one, the existing one (throttled), or the
   * waiting one with the new payload and run time (debounced). When a throttled window's job has
   * already completed and been deleted, the job returned carries its id and status `completed`,
   * with the fields of the job that was dropped.
   */
  private async insertDeduped(
    record: NewJobRecord,
    dedupe: DedupeOptions,
    options: EnqueueOptions<Tx>,
  ): Promise<Job> {
    if (this.state === "stopping" || this.state === "stopped") {
      throw new ShuttingDownError("the scheduler is stopping or stopped; it accepts no new jobs");
    }
    if (options.transaction !== undefined) {
      throw new InvalidArgumentError(
        "transaction",
        "a job with a deduplication window cannot join a transaction",
      );
    }
    const now = this.now();
    if (dedupe.mode === "debounce") {
      assertStorableTime(now + dedupe.ttl, "job.dedupe.ttl");
      record.scheduledAt = new Date(now + dedupe.ttl);
      record.status = "scheduled";
    }
    let outcome: DedupeResult["outcome"] = "created";
    const call = async (): Promise<Job[]> => {
      // Read at the call: enqueue middleware may have renamed the job.
      const window = { ...dedupe, key: windowKey(dedupe.mode, record.name, dedupe.key) };
      const result = await this.bounded.createDedupedJob(record, window, new Date(now));
      outcome = result.outcome;
      return [result.job ?? { ...insertedJob(record), id: result.jobId, status: "completed" }];
    };
    const [job] = this.members.wrapsEnqueue
      ? await this.throughEnqueueMiddleware([record], "job", call)
      : await call();
    if (outcome === "created" && this.hooks.has("onEnqueue")) this.hooks.onEnqueue(job as Job);
    this.claimNow();
    return job as Job;
  }

  /**
   * Inserts the records through the enqueue middleware; with `claim`, in the same round trip as
   * that claim, whose jobs go to `onClaimed`.
   */
  private create(
    records: NewJobRecord[],
    createOptions: CreateJobsOptions<Tx> | undefined,
    claim: ClaimOptions | null,
    onClaimed: (claimed: Job[]) => void,
  ): Promise<Job[]> {
    const insert = async (): Promise<Job[]> => {
      const createAndClaim = this.bounded.createJobsAndClaim;
      if (claim === null || createAndClaim === undefined)
        return this.bounded.createJobs(records, createOptions);
      const result = await createAndClaim(records, claim);
      onClaimed(result.claimed);
      return result.jobs;
    };
    return this.members.wrapsEnqueue
      ? this.throughEnqueueMiddleware(records, records.length === 1 ? "job" : "jobs", insert)
      : insert();
  }

  /**
   * Runs `insert` inside the enqueue middleware (`wrapEnqueue`), keeping the store's answer the
   * truth whatever a wrapper does: what it changed is checked again before the insert (metadata
   * and payload by the caller's rules; id, name, queue, run time and `sched.` metadata must stay
   * as they were); a second call of `insert` gets the first one's result (nothing is inserted
   * twice); jobs stored are returned even when a wrapper throws afterwards (logged); and a wrapper
   * that never calls `insert` fails the enqueue (nothing was stored).
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) or PayloadTooLargeError for a change a
   *   wrapper may not make; SchedulerError (`MIDDLEWARE_ERROR`) when no wrapper called `insert`;
   *   what a wrapper throws before calling it; what `insert` throws.
   */
  private async throughEnqueueMiddleware(
    records: NewJobRecord[],
    path: string,
    insert: () => Promise<Job[]>,
  ): Promise<Job[]> {
    const fixed = this.input.fixedByMiddleware(records);
    let inserted: Promise<Job[]> | null = null;
    const insertOnce = (): Promise<Job[]> => {
      inserted ??= (async () => {
        // Middleware may have added metadata: it must keep the rules the caller's metadata keeps.
        this.input.recheckMiddlewareChanges(records, path, fixed);
        return insert();
      })();
      return inserted;
    };
    let failure: { error: unknown } | null = null;
    try {
      await this.members.enqueue(records, insertOnce);
    } catch (error) {
      failure = { error };
    }
    if (inserted === null) {
      if (failure !== null) throw failure.error;
      throw new SchedulerError(
        "MIDDLEWARE_ERROR",
        "an enqueue middleware (wrapEnqueue) returned without calling insert(): nothing was stored",
      );
    }
    const jobs = await (inserted as Promise<Job[]>);
    if (failure !== null) {
      this.options.logger.error(
        "an enqueue middleware (wrapEnqueue) threw after the jobs were stored; they are stored and returned",
        { error: toError(failure.error).message, jobs: jobs.length },
      );
    }
    return jobs;
  }
}

/**
 * The key a deduplication window is stored under: one window per queue, mode, job name and key, so
 * a debounce never folds one name's payload into another name's job, a throttle of one name never
 * drops another's, and a throttle and a debounce of one key keep their own windows. Mode and
 * name hold no space (names are `A-Z a-z 0-9 _ . : - /`), so no two triples share a key.
 */
function windowKey(mode: DedupeOptions["mode"], name: string, key: string): string {
  return `${mode} ${name} ${key}`;
}

/** Whether every record was due and is among the claimed jobs (started here at once). */
function startedAll(records: readonly NewJobRecord[], claimed: readonly Job[]): boolean {
  if (claimed.length < records.length) return false;
  const ids = new Set(claimed.map((job) => job.id));
  return records.every((record) => record.status === "pending" && ids.has(record.id));
}

/**
 * Creates a scheduler. With no options it keeps everything in memory (a `MemoryStore`), runs 10
 * handlers at a time and fires schedules itself.
 *
 * Give it a job map to have names and payloads checked at compile time: `register`, `enqueue`,
 * `enqueueMany` and `schedule` then accept only the map's names, each with its payload type.
 *
 * @example
 * const s = createScheduler<{ send_email: { to: string } }>({ workers: 5 });
 * s.register("send_email", async (job, ctx) => { await send(job.payload.to, { signal: ctx.signal }) });
 * await s.start();
 * await s.enqueue({ name: "send_email", payload: { to: "a@b.c" } });
 * // s.enqueue({ name: "send_emial" }) and payload: { to: 1 } do not compile.
 *
 * The type of `enqueue`'s `transaction` option comes from the store (`PostgresStore`: a `pg`
 * client); with a job map, give it as the second type argument: `createScheduler<Jobs, PoolClient>`.
 * @throws ConfigError (`CONFIG_INVALID`) naming an option that is not valid.
 */
export function createScheduler<Jobs extends object = JobMap, Tx = never>(
  options: SchedulerOptions<Tx> = {},
): Scheduler<Jobs, Tx> {
  return new Scheduler<Jobs, Tx>(options);
}

/**
 * The counts of `queue` in `stats`, read as an own entry: a queue named `constructor` or
 * `toString` must not find what a plain object inherits (a store may return one).
 */
function countsOf(stats: Stats, queue: string): Omit<Stats, "byQueue"> | undefined {
  const byQueue = stats.byQueue;
  return byQueue !== undefined && Object.hasOwn(byQueue, queue) ? byQueue[queue] : undefined;
}
