import { createScheduler, type Middleware, type NewJob, type Scheduler, type Store } from "@sched/core";
import type { BenchHandler, BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";

/** The one job name every @sched contender registers and enqueues. */
const JOB_NAME = "bench_noop";

/** The queue the jobs go to (the default one): its controls are set when a workload asks for some. */
const QUEUE = "default";

function toNewJob(job: BenchJob): NewJob<BenchPayload> {
  const payload: BenchPayload = { i: job.i };
  const newJob: NewJob<BenchPayload> = job.runAt
    ? { name: JOB_NAME, payload, runAt: job.runAt }
    : { name: JOB_NAME, payload };
  if (job.group !== undefined) newJob.group = job.group;
  return newJob;
}

/** What differs between the @sched contenders: the store, and how it is prepared and cleaned up. */
export interface SchedBackend<S extends Store> {
  /** The contender's name, for its errors. */
  name: string;
  /** A new store, not yet used. */
  createStore(): S;
  /** Readies a new store before the scheduler is created (e.g. creates its tables). */
  migrate?(store: S): Promise<void>;
  /**
   * Removes what a run left on the server (its schema, its keys): before the store is created, and
   * after it is closed (also when closing failed).
   */
  clean?(): Promise<void>;
  /** Installed with `use()` before anything is enqueued; none by default. */
  middleware?: readonly Middleware[];
  /** The bytes the store's data takes on its server (see `Contender.storeBytes`); `null` when unknown. */
  storeBytes?(store: S): Promise<number | null>;
  /** Waits for the store's background maintenance to end (see `Contender.settle`). */
  settle?(): Promise<void>;
}

/** Times every `claimDueJobs` of `store` into `into` (ms), keeping the store's own method. */
function timeClaims(store: Store, into: () => number[]): void {
  const claim = store.claimDueJobs.bind(store);
  store.claimDueJobs = async (options) => {
    const started = performance.now();
    try {
      return await claim(options);
    } finally {
      into().push(performance.now() - started);
    }
  };
}

/**
 * @sched/core on the backend's store, at its default settings except `workers` (the bench's
 * concurrency). `enqueueMany()` for bulk enqueue, `enqueue()` for one job. The handler is
 * `async`, as users write them; it calls the workload's handler first.
 */
export function createSchedContender<S extends Store>(backend: SchedBackend<S>): Contender {
  const middleware = backend.middleware ?? [];
  let scheduler: Scheduler | null = null;
  let store: S | null = null;
  let claims: number[] = [];

  const started = (): Scheduler => {
    if (!scheduler) throw new Error(`${backend.name}: setup() was not called`);
    return scheduler;
  };

  return {
    async setup(settings: WorkerSettings) {
      claims = [];
      if (!(settings.keepData && store)) {
        await backend.clean?.();
        store = backend.createStore();
        timeClaims(store, () => claims);
        await backend.migrate?.(store);
      }
      scheduler = createScheduler({ store, workers: settings.concurrency });
      if (middleware.length > 0) scheduler.use(...middleware);
      const controls = settings.controls;
      if (controls) {
        await scheduler.configureQueue(QUEUE, {
          ...(controls.globalConcurrency ? { concurrency: controls.globalConcurrency } : {}),
          ...(controls.rateLimit
            ? { rateLimit: { max: controls.rateLimit.max, per: controls.rateLimit.perMs } }
            : {}),
          ...(controls.groupConcurrency ? { group: { concurrency: controls.groupConcurrency } } : {}),
        });
      }
    },
    async enqueueBulk(jobs) {
      await started().enqueueMany(jobs.map(toNewJob));
    },
    async enqueueOne(job) {
      await started().enqueue(toNewJob(job));
    },
    async startWorker(handler: BenchHandler) {
      const s = started();
      s.register<BenchPayload>(JOB_NAME, async (job) => {
        handler(job.payload, job.startedAt?.getTime());
      });
      await s.start();
    },
    async teardown(options) {
      if (options?.keepData) {
        await scheduler?.stop({ timeout: "5s" });
        scheduler = null;
        return;
      }
      try {
        await scheduler?.stop({ timeout: "5s" });
        await store?.close();
      } finally {
        scheduler = null;
        store = null;
        await backend.clean?.();
      }
    },
    claimLatencies: () => claims,
    async settle() {
      await backend.settle?.();
    },
    async storeBytes() {
      if (!store || !backend.storeBytes) return null;
      return backend.storeBytes(store);
    },
  };
}
