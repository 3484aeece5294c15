import { createScheduler, type Job, type Scheduler, type SchedulerOptions, type Store } from "@sched/core";
import { expect } from "vitest";
import { type RecordingLogger, recordingLogger } from "../recording-logger.js";
import { runUntilIdle } from "../run-until-idle.js";
import { createTestClock, type TestClock } from "../test-clock.js";
import { waitFor } from "../wait-for.js";

/** A scheduler on `store` with a test clock and a recording logger, and no retry delay. */
function schedulerOn(
  store: Store,
  clock: TestClock,
  options: SchedulerOptions = {},
): { s: Scheduler; logger: RecordingLogger } {
  const logger = recordingLogger();
  const s = createScheduler({
    store,
    clock,
    logger,
    workers: 5,
    retry: { maxAttempts: 4, initialDelay: 0, jitter: 0 },
    ...options,
  });
  return { s, logger };
}

/** What a failed wait of {@link cancelAndRetryScenario} reports: the runs and the job's state. */
function describeRun(runs: number, job: Job | null, clock: TestClock): string {
  const state = job && {
    status: job.status,
    attempt: job.attempt,
    lockedBy: job.lockedBy,
    scheduledAt: job.scheduledAt,
    lockedUntil: job.lockedUntil,
  };
  return `runs ${runs}, job ${JSON.stringify(state)}, clock ${new Date(clock.now()).toISOString()}`;
}

/** A promise that never settles unless the handler's signal aborts it. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * `retryJob` of a job that died after using all its retries (four attempts, a handler that always
 * throws) runs it again with a fresh budget: four more runs, then dead again.
 */
export async function retryAfterDeathScenario(store: Store): Promise<void> {
  const clock = createTestClock();
  const { s } = schedulerOn(store, clock);
  const runs: number[] = [];
  s.register("always_fails", (_job, ctx) => {
    runs.push(ctx.attempt);
    throw new Error("it always fails");
  });
  try {
    await s.start();
    const job = await s.enqueue({ name: "always_fails" });
    await runUntilIdle(s, { clock, timeout: "20s" });
    expect(await s.getJob(job.id)).toMatchObject({
      status: "dead",
      retryCount: 3,
      lostLeases: 0,
      attempt: 4,
    });
    expect(runs).toEqual([1, 2, 3, 4]);
    const retried = await s.retryJob(job.id);
    expect(retried).toMatchObject({ status: "pending", retryCount: 0, lostLeases: 0 });
    await runUntilIdle(s, { clock, timeout: "20s" });
    expect(runs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await s.getJob(job.id)).toMatchObject({
      status: "dead",
      retryCount: 3,
      attempt: 8,
      error: "it always fails",
    });
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/**
 * Three rolling deploys (a stop that interrupts a long job) and then one transient failure: the
 * interruptions use none of the job's retries, fire no `onRetry`, leave it `pending` (not
 * `failed`) at once, and the job completes on its retry.
 */
export async function interruptedByShutdownScenario(store: Store): Promise<void> {
  const clock = createTestClock();
  const job = await createScheduler({ store, clock, logger: recordingLogger() }).enqueue({
    name: "long_job",
    maxRetries: 1,
  });
  const retried: number[] = [];
  for (let deploy = 1; deploy <= 3; deploy++) {
    const { s } = schedulerOn(store, clock, {
      hooks: [{ onRetry: (_job, attempt) => retried.push(attempt) }],
    });
    let started = false;
    s.register("long_job", (_job, ctx) => {
      started = true;
      return untilAborted(ctx.signal);
    });
    await s.start();
    await waitFor(() => started, { description: `deploy ${deploy} to start the long job` });
    await s.stop({ timeout: 0 });
    expect(await s.getJob(job.id)).toMatchObject({
      status: "pending",
      retryCount: 0,
      lostLeases: 0,
      attempt: deploy,
      error: null,
      history: [],
    });
    expect((await s.getJob(job.id))!.scheduledAt.getTime()).toBeLessThanOrEqual(clock.now());
  }
  expect(retried).toEqual([]);
  const { s } = schedulerOn(store, clock);
  const attempts: number[] = [];
  s.register("long_job", (_job, ctx) => {
    attempts.push(ctx.attempt);
    if (attempts.length === 1) throw new Error("transient");
  });
  try {
    await s.start();
    await runUntilIdle(s, { clock, timeout: "20s" });
    expect(attempts).toEqual([4, 5]);
    expect(await s.getJob(job.id)).toMatchObject({ status: "completed", retryCount: 1, lostLeases: 0 });
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/** Cancelling a running job and retrying it, three times over, leaves it a fresh budget each time. */
export async function cancelAndRetryScenario(store: Store): Promise<void> {
  const clock = createTestClock();
  const { s } = schedulerOn(store, clock, { retry: { maxAttempts: 1 } });
  let runs = 0;
  let finish = false;
  s.register("cancellable", async (_job, ctx) => {
    runs++;
    if (!finish) await untilAborted(ctx.signal);
  });
  try {
    await s.start();
    const job = await s.enqueue({ name: "cancellable" });
    for (let round = 1; round <= 3; round++) {
      await waitFor(async () => (await s.getJob(job.id))?.status === "running" && runs === round, {
        description: `run ${round}`,
        timeout: "10s",
      }).catch(async (err) => {
        const j = await s.getJob(job.id);
        throw new Error(`${(err as Error).message}; ${describeRun(runs, j, clock)}`);
      });
      expect((await s.cancel(job.id)).status).toBe("cancelled");
      // Before the last retry: its run may start before retryJob() has returned here.
      if (round === 3) finish = true;
      expect(await s.retryJob(job.id)).toMatchObject({ status: "pending", retryCount: 0, lostLeases: 0 });
    }
    await waitFor(async () => (await s.getJob(job.id))?.status === "completed", {
      description: "the last run",
      timeout: "10s",
    }).catch(async (err) => {
      const j = await s.getJob(job.id);
      throw new Error(`${(err as Error).message}; ${describeRun(runs, j, clock)}`);
    });
    expect(runs).toBe(4);
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/** `retryJob` of a job that is not dead or cancelled throws INVALID_ARGUMENT and changes nothing. */
export async function retryJobRefusalScenario(store: Store): Promise<void> {
  const s = createScheduler({ store, logger: recordingLogger() });
  const pending = await s.enqueue({ name: "waiting" });
  const scheduled = await s.enqueue({ name: "later", delay: "1h" });
  for (const job of [pending, scheduled]) {
    await expect(s.retryJob(job.id)).rejects.toMatchObject({ code: "INVALID_JOB_STATE", status: job.status });
    expect(await s.getJob(job.id)).toEqual(job);
  }
  await expect(s.retryJob("no-such-job")).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
}

/**
 * A rolling deploy: two schedulers on one store, only the newer registers `new_job`. Every job
 * runs on the newer one, none dies, and the older one logs one warning for the name. A name no
 * instance handles stays waiting.
 */
export async function rollingDeployScenario(store: Store, peer: Store): Promise<void> {
  const clock = createTestClock();
  const older = schedulerOn(store, clock);
  const newer = schedulerOn(peer, clock);
  older.s.register("old_job", () => {});
  const ranOn: string[] = [];
  newer.s.register("old_job", () => {});
  newer.s.register("new_job", () => {
    ranOn.push("newer");
  });
  try {
    await older.s.start();
    const orphan = await older.s.enqueue({ name: "nobody_handles_me" });
    const jobs = await older.s.enqueueMany(Array.from({ length: 20 }, () => ({ name: "new_job" })));
    // The older instance alone for a while: it must not touch new_job. Time moves in steps, each
    // waited for, so that a store's round trips fit between the checks (the test clock fires timers, not round trips).
    await waitFor(
      async () => {
        await clock.advance("10s");
        return older.logger.lines.some((line) => line.message.includes('"new_job"'));
      },
      { description: "the older instance's warning about new_job", timeout: "10s", interval: "20ms" },
    );
    for (const job of jobs)
      expect(await older.s.getJob(job.id)).toMatchObject({ status: "pending", attempt: 0 });
    await newer.s.start();
    await waitFor(async () => ranOn.length === 20, {
      description: "the 20 jobs to run on the newer instance",
      timeout: "10s",
    });
    await waitFor(async () => (await store.stats()).completed === 20, { description: "their completions" });
    const stats = await store.stats();
    expect(stats.dead).toBe(0);
    const warnings = (logger: RecordingLogger, name: string) =>
      logger.lines.filter((line) => line.level === "warn" && line.message.includes(`"${name}"`));
    await waitFor(
      async () => {
        await clock.advance("10s");
        return warnings(older.logger, "nobody_handles_me").length >= 1;
      },
      { description: "one warning about the orphan name", timeout: "10s", interval: "20ms" },
    );
    for (let i = 0; i < 3; i++) await clock.advance("10s");
    expect(await older.s.getJob(orphan.id)).toMatchObject({ status: "pending", attempt: 0 });
    expect(warnings(older.logger, "new_job")).toHaveLength(1);
    expect(warnings(older.logger, "nobody_handles_me")).toHaveLength(1);
    expect(warnings(newer.logger, "new_job")).toHaveLength(0);
  } finally {
    await older.s.stop({ timeout: 0 });
    await newer.s.stop({ timeout: 0 });
  }
}

/**
 * Durable dead letters: a job dies on one instance, which stops before its dead-letter handler
 * finishes (as a crash would); another instance runs the dead-letter job and its handler receives
 * the dead job with its real error.
 */
export async function durableDeadLetterScenario(store: Store, peer: Store): Promise<void> {
  const clock = createTestClock();
  const first = schedulerOn(store, clock, { retry: { maxAttempts: 1 } });
  let firstStarted = false;
  first.s.register("doomed", () => {
    throw new Error("the real error");
  });
  first.s.register("dead", (_job, ctx) => {
    firstStarted = true;
    return untilAborted(ctx.signal);
  });
  await first.s.start();
  const job = await first.s.enqueue({ name: "doomed" });
  await waitFor(() => firstStarted, { description: "the first instance's dead-letter handler to start" });
  await first.s.stop({ timeout: 0 });
  expect(await store.getJob(job.id)).toMatchObject({ status: "dead", error: "the real error" });
  const second = schedulerOn(peer, clock);
  const received: Job[] = [];
  second.s.register("dead", (dead) => {
    received.push(dead);
  });
  try {
    await second.s.start();
    await waitFor(() => received.length === 1, {
      description: "the dead-letter handler on the second instance",
    });
    expect(received[0]).toMatchObject({
      id: job.id,
      name: "doomed",
      status: "dead",
      error: "the real error",
    });
    await waitFor(async () => (await store.getJob(`${job.id}:dead:1`))?.status === "completed", {
      description: "the dead-letter job to complete",
    });
  } finally {
    await second.s.stop({ timeout: 0 });
  }
}

/**
 * Text a store cannot keep: input with U+0000, lone surrogates, -0, holes or nesting past the limit
 * is refused with INVALID_ARGUMENT before any store sees it; a handler error holding such text is
 * recorded (as U+FFFD) and a permanent one goes straight to dead with that real error.
 */
export async function unstorableTextScenario(store: Store): Promise<void> {
  const clock = createTestClock();
  const { s } = schedulerOn(store, clock);
  const deep: unknown[] = [];
  let cursor = deep;
  for (let i = 0; i < 150; i++) {
    const next: unknown[] = [];
    cursor.push(next);
    cursor = next;
  }
  const refused: Array<Parameters<Scheduler["enqueue"]>[0]> = [
    { name: "x", payload: { text: "nul \u0000 inside" } },
    { name: "x", payload: { "key\u0000": 1 } },
    { name: "x", payload: ["lone \ud800 surrogate"] },
    { name: "x", payload: { "\udc00": true } },
    { name: "x", payload: { n: -0 } },
    // biome-ignore lint/suspicious/noSparseArray: a hole is the point of this case.
    { name: "x", payload: [1, , 3] },
    { name: "x", payload: deep },
    { name: "x", metadata: { tenant: "a\u0000b" } },
    { name: "x", metadata: { "\ud83d": "lone" } },
    { name: "x", uniqueKey: "key\u0000" },
    { name: "x", uniqueKey: "\udfff" },
  ];
  for (const job of refused) {
    await expect(s.enqueue(job)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  }
  // biome-ignore lint/suspicious/noSparseArray: a hole in the batch itself.
  await expect(s.enqueueMany([{ name: "x" }, , { name: "y" }] as never)).rejects.toMatchObject({
    code: "INVALID_ARGUMENT",
  });
  expect((await store.listJobs({})).jobs).toEqual([]);
  // Lookups too: every store answers them alike, because the scheduler refuses what no id can be.
  for (const id of ["x\u0000", "\ud800"]) {
    await expect(s.getJob(id)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(s.cancel(id)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  }
  await expect(s.listJobs({ name: "bad\u0000name" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });

  const { permanent } = await import("@sched/core");
  const received: Job[] = [];
  s.register("broken", () => {
    throw permanent(new Error("bad byte \u0000 and lone \ud800 here"));
  });
  s.register("dead", (dead) => {
    received.push(dead);
  });
  try {
    await s.start();
    const job = await s.enqueue({ name: "broken" });
    await runUntilIdle(s, { clock, timeout: "20s" });
    const stored = await s.getJob(job.id);
    expect(stored).toMatchObject({
      status: "dead",
      attempt: 1,
      lostLeases: 0,
      error: "bad byte \ufffd and lone \ufffd here",
    });
    expect(stored!.history).toEqual([
      { attempt: 1, error: "bad byte \ufffd and lone \ufffd here", failedAt: expect.any(Date) },
    ]);
    expect(received.map((dead) => dead.error)).toEqual(["bad byte \ufffd and lone \ufffd here"]);
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/**
 * `cancel(id)` of a job running on another instance aborts its handler within milliseconds (no
 * lease renewal is waited for), and no "lost the lease" warning is logged.
 */
export async function pushedCancelScenario(store: Store, peer: Store): Promise<void> {
  const runner = schedulerOn(store, createTestClock());
  const operator = createScheduler({ store: peer, logger: recordingLogger() });
  let started = false;
  let reason: unknown = null;
  runner.s.register("long", async (_job, ctx) => {
    started = true;
    await untilAborted(ctx.signal).catch((err: unknown) => {
      reason = err;
    });
  });
  try {
    await runner.s.start();
    const job = await runner.s.enqueue({ name: "long" });
    await waitFor(() => started, { description: "the job to start" });
    const t0 = performance.now();
    await operator.cancel(job.id);
    // The test clock never moves: only a pushed cancel can abort the handler.
    await waitFor(() => reason !== null, { description: "the handler to be aborted", timeout: "3s" });
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect((reason as Error).name).toBe("JobCancelledError");
    expect(runner.logger.lines.filter((line) => line.level === "warn")).toEqual([]);
  } finally {
    await runner.s.stop({ timeout: 0 });
  }
}

/**
 * `stop()` while a claim is in flight (a slow store): the claimed job's handler never starts, the
 * job is back in the queue at once without penalty, and nothing of the scheduler (handler, timer,
 * log line) runs after `stop()` resolves.
 */
export async function stopDuringClaimScenario(store: Store): Promise<void> {
  let claimStarted: () => void = () => {};
  const claimInFlight = new Promise<void>((resolve) => {
    claimStarted = resolve;
  });
  let slow = false;
  // The real store, with claims held back for a moment, as a slow network would. Without its
  // enqueue-and-claim: an enqueue into idle workers would otherwise start the job in its own round
  // trip whenever no claim is in flight, and no claim would ever take it (the wait below hung).
  const slowStore = new Proxy(store, {
    get(target, property, receiver) {
      if (property === "createJobsAndClaim") return undefined;
      const value = Reflect.get(target, property, receiver);
      if (property !== "claimDueJobs" || typeof value !== "function") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      return async (...args: unknown[]) => {
        if (!slow) return value.apply(target, args);
        const result = (await value.apply(target, args)) as Job[];
        // Only the claim that took the job is the slow one the scenario stops during: a claim that
        // began before the job was stored (a poll) comes back empty.
        if (result.length > 0) claimStarted();
        await new Promise((resolve) => setTimeout(resolve, 300));
        return result;
      };
    },
  });
  const logger = recordingLogger();
  const s = createScheduler({ store: slowStore, logger, pollInterval: "50ms" });
  let ran = 0;
  s.register("claimed_late", () => {
    ran++;
  });
  await s.start();
  slow = true;
  const job = await s.enqueue({ name: "claimed_late" });
  await claimInFlight;
  await s.stop({ timeout: "5s" });
  const linesAtStop = logger.lines.length;
  expect(ran).toBe(0);
  expect(await store.getJob(job.id)).toMatchObject({
    status: "pending",
    attempt: 1,
    retryCount: 0,
    lostLeases: 0,
    lockedBy: null,
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(ran).toBe(0);
  expect(logger.lines.length).toBe(linesAtStop);
}
