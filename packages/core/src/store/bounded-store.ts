import { isStoreClosed, StoreClosedError, StoreTimeoutError } from "../errors.js";
import type { Job, JobFilter, JobPage, JobSelector } from "../jobs/job.js";
import type { Stats } from "../jobs/stats.js";
import { setLongTimeout } from "../time/long-timeout.js";
import type {
  ClaimOptions,
  CleanupOptions,
  CompleteOptions,
  CreatedAndClaimed,
  CreateJobsOptions,
  DedupeOptions,
  DedupeResult,
  FailOptions,
  FireResult,
  InstanceRecord,
  JobRef,
  NewJobRecord,
  NextDueOptions,
  QueuePatch,
  QueueRecord,
  RateLimitJobOptions,
  RecoveredLeases,
  RecoverOptions,
  ReleaseOptions,
  RequeueResult,
  SaveScheduleOptions,
  ScheduleRecord,
  ScheduleTick,
  Store,
  StoreCapabilities,
  StoreEvent,
  ThroughputQuery,
  ThroughputSample,
  WaitingNamesOptions,
} from "./store.js";

/**
 * Rejects with a {@link StoreTimeoutError} when `call` has not settled within `ms` of real time
 * (an I/O bound: a hung backend stops in wall-clock time, whatever clock the scheduler runs on).
 * `onLate` receives the value of a call that settles after the timeout.
 */
function within<T>(
  operation: string,
  ms: number,
  call: Promise<T>,
  server: () => string | undefined,
  onLate?: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setLongTimeout(
      () => {
        timedOut = true;
        reject(new StoreTimeoutError(operation, ms, server()));
      },
      ms,
      { unref: true },
    );
    call.then(
      (value) => {
        timer.clear();
        if (timedOut) onLate?.(value);
        else resolve(value);
      },
      (err: unknown) => {
        timer.clear();
        if (!timedOut) reject(err);
      },
    );
  });
}

/**
 * A store whose every call answers within `timeoutMs`: the scheduler's view of its store, so
 * that no public call and no loop waits for ever on a backend that hangs. A claim that answers
 * after its timeout hands its jobs straight back (without penalty), since nobody runs them.
 */
export class BoundedStore<Tx = unknown> implements Store<Tx> {
  constructor(
    /** The store wrapped. */
    readonly inner: Store<Tx>,
    /** The longest a call may take, in ms. */
    readonly timeoutMs: number,
    /** Called when a call finds the store closed (code `STORE_CLOSED`). */
    private readonly onClosed: () => void = () => {},
    /**
     * Whether calls may be sent now. While it returns false, every call is refused with a
     * `StoreClosedError` before it reaches the store: the scheduler's loops use a store that
     * admits nothing once `stop()` has resolved, so that a retry or a last flush that outlived
     * the deadline never reaches the backend afterwards.
     */
    private readonly admits: () => boolean = () => true,
  ) {
    if (inner.subscribe) {
      const subscribe = inner.subscribe.bind(inner);
      this.subscribe = (listener: (event: StoreEvent) => void) => subscribe(listener);
    }
    if (inner.createJobsAndClaim) {
      const createAndClaim = inner.createJobsAndClaim.bind(inner);
      this.createJobsAndClaim = (jobs, claim) =>
        this.bound(
          "createJobs",
          () => createAndClaim(jobs, claim),
          (late) => this.releaseLate(late.claimed, claim.now),
        );
    }
  }

  /** {@inheritDoc Store.createJobsAndClaim} */
  readonly createJobsAndClaim?: (jobs: NewJobRecord[], claim: ClaimOptions) => Promise<CreatedAndClaimed>;

  /** Hands back jobs a claim leased after its call timed out: nobody runs them. */
  private releaseLate(late: readonly Job[], now: Date): void {
    if (late.length === 0) return;
    const refs = late.map((job) => ({
      id: job.id,
      queue: job.queue,
      attempt: job.attempt,
      lockedBy: job.lockedBy ?? "",
    }));
    // Their leases would otherwise expire and count as lost: hand them back now.
    this.inner.releaseJobs(refs, { now }).catch(() => {});
  }

  /** {@inheritDoc Store.describeServer} */
  describeServer(): string | undefined {
    return this.server();
  }

  /** The inner store's {@link Store.describeServer}, or `undefined` when it has none or it throws. */
  private server(): string | undefined {
    try {
      const described: unknown = this.inner.describeServer?.();
      return typeof described === "string" && described !== "" ? described : undefined;
    } catch {
      return undefined;
    }
  }

  /** {@inheritDoc Store.capabilities} */
  get capabilities(): StoreCapabilities {
    return this.inner.capabilities;
  }

  /** {@inheritDoc Store.subscribe} */
  readonly subscribe?: (listener: (event: StoreEvent) => void) => () => void;

  private bound<T>(operation: string, call: () => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    if (!this.admits()) {
      return Promise.reject(new StoreClosedError(`${operation} was not sent: the scheduler has stopped`));
    }
    const result = within(operation, this.timeoutMs, call(), () => this.server(), onLate);
    result.catch((err: unknown) => {
      if (isStoreClosed(err)) this.onClosed();
    });
    return result;
  }

  createJobs(jobs: NewJobRecord[], options?: CreateJobsOptions<Tx>): Promise<Job[]> {
    return this.bound("createJobs", () => this.inner.createJobs(jobs, options));
  }
  getJob(id: string): Promise<Job | null> {
    return this.bound("getJob", () => this.inner.getJob(id));
  }
  listJobs(filter: JobFilter): Promise<JobPage> {
    return this.bound("listJobs", () => this.inner.listJobs(filter));
  }
  retryJobs(selector: JobSelector, now: Date): Promise<number> {
    return this.bound("retryJobs", () => this.inner.retryJobs(selector, now));
  }
  deleteJobs(selector: JobSelector): Promise<number> {
    return this.bound("deleteJobs", () => this.inner.deleteJobs(selector));
  }
  deleteJob(id: string): Promise<Job | null> {
    return this.bound("deleteJob", () => this.inner.deleteJob(id));
  }
  promoteJob(id: string, now: Date): Promise<Job | null> {
    return this.bound("promoteJob", () => this.inner.promoteJob(id, now));
  }
  saveInstance(instance: InstanceRecord): Promise<void> {
    return this.bound("saveInstance", () => this.inner.saveInstance(instance));
  }
  removeInstance(id: string): Promise<boolean> {
    return this.bound("removeInstance", () => this.inner.removeInstance(id));
  }
  listInstances(now: Date): Promise<InstanceRecord[]> {
    return this.bound("listInstances", () => this.inner.listInstances(now));
  }
  addThroughput(samples: readonly ThroughputSample[], keepSince: Date): Promise<void> {
    return this.bound("addThroughput", () => this.inner.addThroughput(samples, keepSince));
  }
  throughput(query: ThroughputQuery): Promise<ThroughputSample[]> {
    return this.bound("throughput", () => this.inner.throughput(query));
  }
  createDedupedJob(job: NewJobRecord, dedupe: DedupeOptions, now: Date): Promise<DedupeResult> {
    return this.bound("createDedupedJob", () => this.inner.createDedupedJob(job, dedupe, now));
  }
  updateQueue(name: string, patch: QueuePatch, now: Date): Promise<QueueRecord> {
    return this.bound("updateQueue", () => this.inner.updateQueue(name, patch, now));
  }
  getQueue(name: string): Promise<QueueRecord | null> {
    return this.bound("getQueue", () => this.inner.getQueue(name));
  }
  listQueues(): Promise<QueueRecord[]> {
    return this.bound("listQueues", () => this.inner.listQueues());
  }
  rateLimitJob(ref: JobRef, options: RateLimitJobOptions): Promise<boolean> {
    return this.bound("rateLimitJob", () => this.inner.rateLimitJob(ref, options));
  }
  cancelJob(id: string, now: Date): Promise<Job | null> {
    return this.bound("cancelJob", () => this.inner.cancelJob(id, now));
  }
  requeueJob(id: string, now: Date): Promise<RequeueResult | null> {
    return this.bound("requeueJob", () => this.inner.requeueJob(id, now));
  }
  claimDueJobs(options: ClaimOptions): Promise<Job[]> {
    return this.bound(
      "claimDueJobs",
      () => this.inner.claimDueJobs(options),
      (late) => this.releaseLate(late, options.now),
    );
  }
  completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    return this.bound("completeJobs", () => this.inner.completeJobs(refs, options));
  }
  failJob(ref: JobRef, options: FailOptions): Promise<Job | null> {
    return this.bound("failJob", () => this.inner.failJob(ref, options));
  }
  releaseJobs(refs: readonly JobRef[], options: ReleaseOptions): Promise<boolean[]> {
    return this.bound("releaseJobs", () => this.inner.releaseJobs(refs, options));
  }
  renewLeases(refs: readonly JobRef[], lockedUntil: Date): Promise<string[]> {
    return this.bound("renewLeases", () => this.inner.renewLeases(refs, lockedUntil));
  }
  recoverExpiredLeases(options: RecoverOptions): Promise<RecoveredLeases> {
    return this.bound("recoverExpiredLeases", () => this.inner.recoverExpiredLeases(options));
  }
  nextDueAt(options: NextDueOptions): Promise<Date | null> {
    return this.bound("nextDueAt", () => this.inner.nextDueAt(options));
  }
  waitingJobNames(options: WaitingNamesOptions): Promise<string[]> {
    return this.bound("waitingJobNames", () => this.inner.waitingJobNames(options));
  }
  saveSchedule(schedule: ScheduleRecord, options?: SaveScheduleOptions): Promise<boolean> {
    return this.bound("saveSchedule", () => this.inner.saveSchedule(schedule, options));
  }
  getSchedule(name: string): Promise<ScheduleRecord | null> {
    return this.bound("getSchedule", () => this.inner.getSchedule(name));
  }
  listSchedules(): Promise<ScheduleRecord[]> {
    return this.bound("listSchedules", () => this.inner.listSchedules());
  }
  deleteSchedule(name: string): Promise<boolean> {
    return this.bound("deleteSchedule", () => this.inner.deleteSchedule(name));
  }
  fireScheduleTick(tick: ScheduleTick): Promise<FireResult> {
    return this.bound("fireScheduleTick", () => this.inner.fireScheduleTick(tick));
  }
  cleanup(options: CleanupOptions): Promise<number> {
    return this.bound("cleanup", () => this.inner.cleanup(options));
  }
  stats(): Promise<Stats> {
    return this.bound("stats", () => this.inner.stats());
  }
  ping(): Promise<void> {
    return this.bound("ping", () => this.inner.ping());
  }
  epoch(): Promise<string> {
    return this.bound("epoch", () => this.inner.epoch());
  }
  close(): Promise<void> {
    return this.bound("close", () => this.inner.close());
  }
}
