import { type Duration, parseDuration } from "./duration.js";
import {
  InvalidArgumentError,
  InvalidScheduleError,
  JobNotFoundError,
  SchedulerError,
  ShuttingDownError,
  StoreError,
} from "./errors.js";
import { checkExtensions, Extensions } from "./extensions.js";
import { type HandlerOptions, HandlerRegistry } from "./handler-registry.js";
import { HookRunner } from "./hooks.js";
import { JobInput } from "./job-input.js";
import type { Leader } from "./leader.js";
import { LeaderElector } from "./leader-elector.js";
import { Maintenance } from "./maintenance.js";
import { MemoryStore } from "./memory/index.js";
import { type ResolvedOptions, resolveOptions, type SchedulerOptions } from "./options.js";
import { AtBuilder, EveryBuilder, type ScheduleRegistrar } from "./schedules/builder.js";
import { compileSchedule, definitionKey, firstRunAt } from "./schedules/definition.js";
import { toScheduleDefinition } from "./schedules/definition-input.js";
import type { ScheduleOptions } from "./schedules/schedule-options.js";
import { ScheduleRunner } from "./schedules/schedule-runner.js";
import type { NewJobRecord, ScheduleDefinition, ScheduleRecord, Store } from "./store.js";
import type {
  Handler,
  HandlerFn,
  Job,
  JobFilter,
  JobMap,
  JobName,
  Middleware,
  NewJob,
  NewJobOf,
  PayloadOf,
  Stats,
} from "./types.js";
import { UnhandledNames } from "./worker/unhandled-names.js";
import { WorkerPool } from "./worker/worker-pool.js";

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

/** Options of {@link Scheduler.stop}. */
export interface StopOptions {
  /** How long to wait for running jobs before aborting them; default `"30s"`. */
  timeout?: Duration;
}

/**
 * A scheduler instance: recurring schedules, one-time jobs and queues with a worker pool.
 * Create it with {@link createScheduler}. Several instances may share one store (see docs/architecture.md §4).
 */
export class Scheduler<Jobs extends object = JobMap, Tx = unknown> implements ScheduleRegistrar {
  /** The resolved options. */
  readonly options: ResolvedOptions;
  /** The store jobs and schedules live in. */
  readonly store: Store<Tx>;
  private readonly leader: Leader | undefined;
  private readonly registry = new HandlerRegistry();
  private readonly input: JobInput;
  private readonly hooks: HookRunner;
  private readonly extensions: Extensions;
  private readonly pool: WorkerPool;
  private readonly runner: ScheduleRunner;
  private readonly elector: LeaderElector;
  private readonly maintenance: Maintenance;
  private readonly ownsStore: boolean;
  private readonly ownsLeader: boolean;
  private state: SchedulerState = "idle";
  private transition: Promise<void> | null = null;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /**
   * Prefer {@link createScheduler}. `owns` says which of the given store and leader the scheduler
   * created itself and must close on `stop()`.
   */
  constructor(options: SchedulerOptions<Tx> = {}, owns: { store?: boolean; leader?: boolean } = {}) {
    this.options = resolveOptions(options as SchedulerOptions);
    this.store = options.store ?? (new MemoryStore() as Store<never> as Store<Tx>);
    this.ownsStore = owns.store ?? false;
    this.ownsLeader = owns.leader ?? false;
    this.leader = options.leader;
    this.input = new JobInput(this.options, this.registry);
    this.hooks = new HookRunner(options.hooks ?? [], this.options.logger);
    this.extensions = new Extensions(this.hooks, this.options.logger);
    const unhandled = new UnhandledNames(this.store, this.options, this.registry);
    this.pool = new WorkerPool(this.store, this.options, this.registry, this.hooks, unhandled);
    this.elector = new LeaderElector(this.leader, this.options, () => this.runner.trigger());
    this.runner = new ScheduleRunner(
      this.store,
      this.options,
      this.hooks,
      this.extensions,
      () => this.elector.isLeader(),
      () => this.pool.wake(),
      (name) => this.registry.has(name),
    );
    this.maintenance = new Maintenance(
      this.store,
      this.options,
      this.registry,
      this.hooks,
      unhandled,
      () => this.elector.isLeader(),
      () => this.pool.wake(),
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
   * Registers the handler for jobs named `name` (replacing any previous one), with defaults for
   * those jobs. Returns the scheduler for chaining.
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
    options: HandlerOptions = {},
  ): this {
    const valid = this.input.name(name, "name");
    if (options.queue !== undefined) this.input.name(options.queue, "queue");
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
    for (const mw of middleware) if (typeof mw === "function") checkExtensions(mw);
    this.registry.use(middleware);
    for (const mw of middleware) this.extensions.add(mw);
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
    job: NewJob<PayloadOf<Jobs, N, P>> & { name: N },
    options: EnqueueOptions<Tx> = {},
  ): Promise<Job<PayloadOf<Jobs, N, P>>> {
    const [created] = await this.insert([this.input.toRecord(job, "job")], options);
    return created as Job<PayloadOf<Jobs, N, P>>;
  }

  /** Enqueues a job to run at `runAt` (a shorthand for `enqueue({ ...job, runAt })`). */
  enqueueAt<P extends Jobs[N] = never, N extends JobName<Jobs> = JobName<Jobs>>(
    job: NewJob<PayloadOf<Jobs, N, P>> & { name: N },
    runAt: Date,
    options: EnqueueOptions<Tx> = {},
  ): Promise<Job<PayloadOf<Jobs, N, P>>> {
    return this.enqueue<P, N>({ ...job, runAt }, options);
  }

  /**
   * Enqueues many jobs in one store round trip. All or nothing: if one is invalid or its
   * `uniqueKey` is held, none is enqueued.
   *
   * @throws the errors of {@link enqueue}, naming the job's index (`jobs[3].payload`).
   */
  async enqueueMany(jobs: NewJobOf<Jobs>[], options: EnqueueOptions<Tx> = {}): Promise<Job[]> {
    if (!Array.isArray(jobs)) throw new InvalidArgumentError("jobs", "expected an array of jobs");
    if (jobs.length === 0) return [];
    // A for loop, not map: map skips the holes of a sparse array, which must be refused too.
    const records: NewJobRecord[] = new Array(jobs.length);
    for (let i = 0; i < jobs.length; i++) records[i] = this.input.toRecord(jobs[i] as NewJob, `jobs[${i}]`);
    return this.insert(records, options);
  }

  /** The job with that id, or `null`. */
  getJob<P = unknown>(id: string): Promise<Job<P> | null> {
    return this.store.getJob(id) as Promise<Job<P> | null>;
  }

  /** Lists jobs by status, queue and name, oldest first. */
  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new InvalidArgumentError("limit", `expected an integer from 1 to 10000, got ${limit}`);
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new InvalidArgumentError("offset", `expected an integer >= 0, got ${offset}`);
    }
    return this.store.listJobs({ ...filter, limit, offset });
  }

  /**
   * Cancels a job. A waiting job becomes `cancelled`; a running job becomes `cancelled` and its
   * `ctx.signal` aborts (at once here, at the next lease renewal on another instance). A final job
   * is returned unchanged.
   *
   * @throws JobNotFoundError
   */
  async cancel(id: string): Promise<Job> {
    const job = await this.store.cancelJob(id, new Date(this.now()));
    if (!job) throw new JobNotFoundError(id);
    if (job.status === "cancelled") this.pool.cancelLocal(id);
    return job;
  }

  /**
   * Moves a dead (or cancelled) job back to pending with a fresh budget: its `retryCount` and
   * `lostLeases` are reset (its `attempt`, the fencing token, keeps rising). It runs again as soon
   * as a worker is free.
   *
   * @throws JobNotFoundError (`JOB_NOT_FOUND`); InvalidArgumentError (`INVALID_ARGUMENT`) when the
   *   job is neither dead nor cancelled; JobAlreadyExistsError (`JOB_ALREADY_EXISTS`) when its
   *   `uniqueKey` is held by another active job of its queue meanwhile.
   */
  async retryJob(id: string): Promise<Job> {
    const result = await this.store.requeueJob(id, new Date(this.now()));
    if (!result) throw new JobNotFoundError(id);
    if (!result.requeued) {
      throw new InvalidArgumentError(
        "id",
        `job ${id} is ${result.job.status}; only dead or cancelled jobs can be retried`,
      );
    }
    this.pool.wake();
    return result.job;
  }

  /**
   * Runs `handler` on a cron schedule: 5 fields, 6 with leading seconds, or a macro such as
   * `@daily`. Re-defining a schedule with the same definition (e.g. on restart) keeps its state,
   * so it continues where it stopped; a changed definition starts afresh.
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
    return this.defineSchedule(
      name,
      { kind: "cron", expression: cron.trim() },
      handler as HandlerFn,
      options,
    );
  }

  /** Starts a fluent recurring schedule: `every(5).minutes().do(name, fn)`. */
  every(n: number): EveryBuilder {
    return new EveryBuilder(this, n);
  }

  /** Starts a one-time schedule: `at(date).do(name, fn)`. */
  at(date: Date): AtBuilder {
    return new AtBuilder(this, date);
  }

  /** Deletes a schedule; jobs it already enqueued still run. Returns whether it existed. */
  async unschedule(name: string): Promise<boolean> {
    return this.store.deleteSchedule(name);
  }

  /** Lists the stored schedules with their next and last run. */
  listSchedules(): Promise<ScheduleRecord[]> {
    return this.store.listSchedules();
  }

  /** @internal Used by the builders: validates, registers the handler and saves the schedule. */
  async defineSchedule(
    name: string,
    shape: Pick<ScheduleDefinition, "kind" | "expression" | "every" | "anchor">,
    handler: HandlerFn | Handler,
    options: ScheduleOptions,
  ): Promise<ScheduleRecord> {
    const valid = this.input.name(name, "name");
    const definition = toScheduleDefinition(valid, shape, options, this.input, this.options.misfire);
    const schedule = compileSchedule(definition);
    this.registry.register(valid, handler);
    const now = this.now();
    const existing = await this.store.getSchedule(valid);
    if (existing && definitionKey(existing.definition) === definitionKey(definition)) {
      this.runner.trigger();
      return existing;
    }
    const record: ScheduleRecord = {
      name: valid,
      definition,
      nextRunAt: firstRunAt(definition, schedule, now),
      lastRunAt: existing?.lastRunAt ?? null,
      occurrences: 0,
      createdAt: existing?.createdAt ?? new Date(now),
      updatedAt: new Date(now),
    };
    // A new schedule is created only if absent: instances starting together must not overwrite
    // each other's record after the leader fired its first tick (that would fire a tick twice).
    if (!(await this.store.saveSchedule(record, { onlyIfAbsent: existing === null }))) {
      return this.defineSchedule(name, shape, handler, options);
    }
    this.runner.trigger();
    return record;
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
    this.transition = (async () => {
      try {
        await this.store.ping();
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
      this.state = "running";
      this.extensions.attachAll({
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
   * `ShuttingDownError`) and returns them to the queue at once without using a retry. Then it
   * releases leadership, clears every timer and closes the store and leader it created itself
   * (`createSchedulerFromEnv`), also when it was never started. After it resolves no handler
   * starts and no hook, timer or log line of this scheduler runs.
   *
   * It resolves within `timeout` + 1 s (the grace aborted handlers get to settle) + the time the
   * store takes to answer its last calls (recording outcomes, releasing leadership).
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad `timeout`.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const timeoutMs = parseDuration(options.timeout ?? "30s", "timeout");
    if (this.transition) await this.transition.catch(() => {});
    if (this.state === "idle") {
      // Never started (a producer-only process): close what this scheduler created all the same.
      this.state = "stopping";
      this.transition = this.closeOwned();
    } else if (this.state === "running") {
      this.state = "stopping";
      this.transition = (async () => {
        await this.runner.stop();
        await this.maintenance.stop();
        await this.pool.stop(timeoutMs);
        await this.elector.stop();
        this.extensions.detachAll();
        if (this.keepAlive) clearInterval(this.keepAlive);
        this.keepAlive = null;
        await this.closeOwned();
      })();
    } else {
      return;
    }
    try {
      await this.transition;
    } finally {
      this.transition = null;
      this.state = "stopped";
    }
  }

  /** Closes the leader and store this scheduler created itself; both closes are attempted. */
  private async closeOwned(): Promise<void> {
    try {
      if (this.ownsLeader) await this.leader?.close?.();
    } finally {
      if (this.ownsStore) await this.store.close();
    }
  }

  /** Job counts by status, overall and per queue. */
  stats(): Promise<Stats> {
    return this.store.stats();
  }

  /**
   * Returns a health check for readiness probes: it resolves when the scheduler is running and the
   * store answers, and throws otherwise.
   */
  healthCheck(): () => Promise<void> {
    return async () => {
      if (this.state !== "running")
        throw new ShuttingDownError(`the scheduler is ${this.state}, not running`);
      try {
        await this.store.ping();
      } catch (err) {
        throw new StoreError("the store is unreachable", { cause: err });
      }
    };
  }

  /** Deletes completed jobs that finished more than `olderThan` ago; returns how many. The runtime also does this periodically. */
  cleanupCompleted(olderThan: Duration): Promise<number> {
    const ms = parseDuration(olderThan, "olderThan");
    return this.store.cleanup({
      completedBefore: new Date(this.now() - ms),
      deadBefore: new Date(0),
      cancelledBefore: new Date(0),
    });
  }

  private async insert(records: NewJobRecord[], options: EnqueueOptions<Tx>): Promise<Job[]> {
    if (this.state === "stopping" || this.state === "stopped") {
      throw new ShuttingDownError("the scheduler is stopping or stopped; it accepts no new jobs");
    }
    const createOptions =
      options.transaction === undefined ? undefined : { transaction: options.transaction };
    const jobs = this.extensions.wrapsEnqueue
      ? await this.extensions.enqueue(records, () => this.store.createJobs(records, createOptions))
      : await this.store.createJobs(records, createOptions);
    if (this.hooks.has("onEnqueue")) for (const job of jobs) this.hooks.onEnqueue(job);
    this.pool.wake();
    return jobs;
  }
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
