import {
  type ClaimOptions,
  type Job,
  type JobRef,
  type JobStatus,
  type NewJobRecord,
  type RecoveredLeases,
  type RecoverOptions,
  type ScheduleRecord,
  type Store,
  uuidv7Generator,
} from "@sched/core";
import { expect } from "vitest";

/**
 * An application transaction opened for the suite by `StoreConformanceOptions.beginTransaction`:
 * the handle the store joins, and the two ways to end it.
 */
export interface ConformanceTransaction {
  /**
   * What the suite passes as `createJobs(jobs, { transaction })`: the backend's transaction handle
   * (for PostgreSQL, a `pg` client on which `BEGIN` was run).
   */
  readonly transaction: unknown;
  /** Commits the transaction, then releases what `beginTransaction` opened for it. */
  commit(): Promise<void>;
  /** Rolls the transaction back, then releases what `beginTransaction` opened for it. */
  rollback(): Promise<void>;
}

/** Gives the topic files of the store suite the store of the running test. */
export interface StoreSuiteContext {
  /** The store created by the factory for the current test. */
  readonly store: Store;
  /** Calls the factory again, for tests that must close a store of their own; the caller closes it. */
  openStore(): Promise<Store>;
  /**
   * Opens another store on the same data as the running test's store, as a second instance would
   * (see `StoreConformanceOptions.openPeer`); `undefined` when the suite was given none. The
   * caller closes it unless it is the test's store itself.
   */
  readonly openPeer: (() => Promise<Store>) | undefined;
  /**
   * Deletes all the data of the running test's store, as a backend that lost its data would (see
   * `StoreConformanceOptions.wipe`); `undefined` when the suite was given none.
   */
  readonly wipe: (() => Promise<void>) | undefined;
  /**
   * Begins an application transaction the running test's store can join (see
   * `StoreConformanceOptions.beginTransaction`); `undefined` when the suite was given none. The
   * caller commits or rolls it back.
   */
  readonly beginTransaction: (() => Promise<ConformanceTransaction>) | undefined;
}

/** The fixed instant every test starts from; time is always passed in, never read. Never mutate it. */
export const T0 = new Date("2030-01-01T00:00:00.000Z");

/** `T0` plus `ms` milliseconds. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

const nextId = uuidv7Generator();

/** A new time-ordered id: ids made later sort after ids made earlier. */
export function newId(): string {
  return nextId();
}

/**
 * A new job record for `Store.createJobs`: pending, due and created at `T0`
 * (2030-01-01T00:00:00.000Z), with a new time-ordered id (UUIDv7: ids made later sort after ids
 * made earlier), name `conformance-job`, payload `{ n: 1 }`, queue `default`, priority 0,
 * `maxRetries` 3, `timeout` 30,000 ms, empty metadata and no unique key; `overrides` replace any
 * of these fields.
 */
export function newJob(overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  return {
    id: newId(),
    name: "conformance-job",
    payload: { n: 1 },
    queue: "default",
    priority: 0,
    maxRetries: 3,
    timeout: 30_000,
    scheduledAt: at(0),
    createdAt: at(0),
    status: "pending",
    metadata: {},
    uniqueKey: null,
    ...overrides,
  };
}

/** `count` pending jobs due at `T0`, each with `overrides` applied. */
export function newJobs(count: number, overrides: Partial<NewJobRecord> = {}): NewJobRecord[] {
  return Array.from({ length: count }, () => newJob(overrides));
}

/** Claim options for every queue at `now` (default `T0`), with a one-minute lease. */
export function claimAt(now: Date = T0, overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return {
    queues: null,
    names: null,
    limit: 100,
    now,
    lockedUntil: new Date(now.getTime() + 60_000),
    workerId: "worker-1",
    ...overrides,
  };
}

/** The ref of a claimed job's current attempt. */
export function refOf(job: Job): JobRef {
  return { id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: job.lockedBy ?? "" };
}

/** The error recovery records in these tests. */
export const LEASE_EXPIRED =
  "lease expired (the instance running the job stopped, stalled or could not reach the store)";

/**
 * Calls `recoverExpiredLeases` at `now` (up to `limit` jobs, at most 3 lost leases, no dead
 * letters unless `overrides` say otherwise).
 */
export function recover(
  store: Store,
  now: Date,
  limit = 100,
  overrides: Partial<RecoverOptions> = {},
): Promise<RecoveredLeases> {
  return store.recoverExpiredLeases({
    now,
    limit,
    maxLostLeases: 3,
    error: LEASE_EXPIRED,
    deadLetter: null,
    ...overrides,
  });
}

/** The ids `recoverExpiredLeases` returned to the queue at `now` (see {@link recover}). */
export async function recoveredIds(store: Store, now: Date, limit = 100): Promise<string[]> {
  return (await recover(store, now, limit)).recovered;
}

/** `nextDueAt` of `queues` (every queue when `null`), for any job name. */
export function nextDue(store: Store, queues: readonly string[] | null): Promise<Date | null> {
  return store.nextDueAt({ queues, names: null });
}

/** Inserts one job and claims it at `now`; returns the claimed (running) job. */
export async function createRunningJob(
  store: Store,
  overrides: Partial<NewJobRecord> = {},
  now: Date = T0,
): Promise<Job> {
  const [created] = await store.createJobs([newJob({ scheduledAt: now, ...overrides })]);
  const claimed = await store.claimDueJobs(claimAt(now, { queues: [created!.queue], limit: 1 }));
  if (claimed.length !== 1 || claimed[0]!.id !== created!.id) {
    throw new Error("fixture: the job just created could not be claimed on its own");
  }
  return claimed[0]!;
}

/**
 * Creates a job in `status` in `queue`, finished (if final) at `finishedAt`. Jobs that must run
 * first are claimed on their own, so make running and final jobs of a queue before its pending ones.
 */
export async function createJobInStatus(
  store: Store,
  status: JobStatus,
  queue: string,
  finishedAt: Date = at(1),
): Promise<Job> {
  switch (status) {
    case "pending":
      return (await store.createJobs([newJob({ queue })]))[0]!;
    case "scheduled":
      return (
        await store.createJobs([newJob({ queue, status: "scheduled", scheduledAt: at(3_600_000) })])
      )[0]!;
    case "running":
      return createRunningJob(store, { queue });
    case "failed": {
      const running = await createRunningJob(store, { queue });
      return (await store.failJob(refOf(running), {
        now: finishedAt,
        error: "boom",
        retryAt: at(3_600_000),
      }))!;
    }
    case "completed": {
      const running = await createRunningJob(store, { queue });
      await store.completeJobs([refOf(running)], { now: finishedAt });
      return mustGet(store, running.id);
    }
    case "dead": {
      const running = await createRunningJob(store, { queue });
      return (await store.failJob(refOf(running), { now: finishedAt, error: "boom", retryAt: null }))!;
    }
    case "cancelled": {
      const [pending] = await store.createJobs([newJob({ queue })]);
      return (await store.cancelJob(pending!.id, finishedAt))!;
    }
  }
}

/** Returns the job by id, failing the test when it does not exist. */
export async function mustGet(store: Store, id: string): Promise<Job> {
  const job = await store.getJob(id);
  if (job === null) throw new Error(`expected job ${id} to exist`);
  return job;
}

/** A schedule record due at `nextRunAt` (default `T0 + 1 min`), with a nested job template. */
export function newSchedule(name: string, overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    name,
    definition: {
      kind: "cron",
      expression: "* * * * *",
      timezone: "Europe/Berlin",
      misfire: "once",
      maxOccurrences: null,
      until: null,
      job: {
        queue: "default",
        priority: 0,
        maxRetries: 3,
        timeout: 30_000,
        payload: { report: { kind: "daily", recipients: ["a@example.com"] } },
        metadata: { source: "schedule" },
        uniqueKey: null,
      },
    },
    nextRunAt: at(60_000),
    lastRunAt: null,
    occurrences: 0,
    createdAt: at(0),
    updatedAt: at(0),
    definedAt: at(0),
    definedBy: "instance-1",
    ...overrides,
  };
}

/** Runs `fn` and returns what it rejected with, failing when it resolves. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/** The `code` of a thrown value, when it has one. */
export function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
}

/** A class of `@sched/core`'s errors, such as `JobAlreadyExistsError`. */
export type SchedulerErrorClass = abstract new (...args: never[]) => Error;

/**
 * Fails unless `error` is an `errorClass` with `code`, and has the `fields` given. The class is
 * checked with `instanceof`, or by its `name` for an error of another copy of `@sched/core` (a
 * store built for CommonJS loads the CommonJS build, whose classes are not the ES module build's:
 * the dual-package hazard). A plain `Error` carrying the right `code` fails: callers (and the
 * runtime) may test the class.
 */
export function expectSchedulerError(
  error: unknown,
  errorClass: SchedulerErrorClass,
  code: string,
  fields: Record<string, unknown> = {},
): void {
  const sameClass = error instanceof errorClass || (error instanceof Error && error.name === errorClass.name);
  expect(
    sameClass,
    `expected a ${errorClass.name}, got ${error instanceof Error ? error.name : typeof error}: ${String(error)}`,
  ).toBe(true);
  expect(error).toMatchObject({ code, ...fields });
}

/**
 * Fails the test, naming what ran away, once `count` passes `bound`: for loops that end only when a
 * store answers as it should (an empty claim, a page without cursor), so that a store that never
 * does fails the test instead of looping until the test times out or the process runs out of memory.
 */
export function failBeyond(count: number, bound: number, what: string): void {
  if (count > bound) throw new Error(`${what}: more than ${bound}, which no conforming store reaches`);
}
