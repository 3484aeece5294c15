import { createScheduler, type Job, type Scheduler, type Store, type StoreCapabilities } from "@sched/core";
import { describe, expect, it, type TestContext } from "vitest";
import { type ConformanceSkip, skipByName } from "./conformance-skips.js";
import { recordingLogger } from "./recording-logger.js";
import { runUntilIdle } from "./run-until-idle.js";
import {
  cancelAndRetryScenario,
  durableDeadLetterScenario,
  interruptedByShutdownScenario,
  pushedCancelScenario,
  retryAfterDeathScenario,
  retryJobRefusalScenario,
  rollingDeployScenario,
  stopDuringClaimScenario,
  unstorableTextScenario,
} from "./scenarios/job-life.js";
import {
  concurrentPauseScenario,
  jitterStartAtScenario,
  overlapScenario,
  pauseResumeScenario,
  previewBackfillScenario,
  triggerScenario,
} from "./scenarios/schedule-steering.js";
import { requireCapability } from "./store-conformance/capabilities.js";
import { storePerTest } from "./store-per-test.js";
import { createTestClock, type TestClock } from "./test-clock.js";
import { waitFor } from "./wait-for.js";

/** Options of {@link storeSchedulerScenarios}. */
export interface StoreSchedulerScenariosOptions {
  /**
   * Called after each test, before the store is closed: drop what the test left behind. Not
   * needed when the factory gives every test a store of its own (a fresh schema or key prefix).
   */
  cleanup?: (store: Store) => Promise<void>;
  /**
   * Opens another store on the same data as `store`, with connections of its own, as a second
   * instance would (for a `MemoryStore`, the same object). Scenarios with two instances need it;
   * without it they are skipped.
   */
  openPeer?: (store: Store) => Promise<Store> | Store;
  /**
   * Scenarios this run cannot honestly serve, each skipped with its reason (see
   * `StoreConformanceOptions.skip`). Default: none.
   */
  skip?: readonly ConformanceSkip[];
}

/**
 * On a test clock: 300 jobs, of which every 5th fails once and every 50th always (three attempts,
 * then its dead-letter handler), and a schedule every 10 seconds followed for six ticks; then the
 * scheduler's stats and the schedule's occurrences are checked, and the scheduler stops (also
 * when a check fails).
 */
export async function workloadScenario(store: Store): Promise<void> {
  const total = 300;
  const clock = createTestClock(new Date("2030-01-01T00:00:00.000Z"));
  const s = createScheduler({
    store,
    clock,
    workers: 20,
    logger: recordingLogger(),
    retry: { maxAttempts: 3, initialDelay: "1s", multiplier: 2, maxDelay: "10s" },
  });
  try {
    await runWorkload(s, store, clock, total);
  } finally {
    await s.stop({ timeout: 0 });
  }
}

async function runWorkload(s: Scheduler, store: Store, clock: TestClock, total: number): Promise<void> {
  const attempts = new Map<number, number>();
  const succeeded = new Set<number>();
  const deadLettered: number[] = [];
  const ticks: string[] = [];

  // Every 5th job fails its first attempt; every 50th fails all three and goes to the dead letters.
  s.register("work", async (job: Job<{ n: number }>, ctx) => {
    const { n } = job.payload;
    attempts.set(n, (attempts.get(n) ?? 0) + 1);
    if (n % 50 === 0) throw new Error(`job ${n} always fails`);
    if (n % 5 === 0 && ctx.attempt === 1) throw new Error(`job ${n} fails once`);
    succeeded.add(n);
  });
  s.register("dead", async (job: Job<{ n: number }>) => {
    deadLettered.push(job.payload.n);
  });
  await s.schedule("report", "*/10 * * * * *", async (job) => {
    ticks.push(job.scheduledAt.toISOString());
  });

  await s.start();
  await s.enqueueMany(Array.from({ length: total }, (_, n) => ({ name: "work", payload: { n } })));
  await runUntilIdle(s, { clock, maxAdvance: "1m", timeout: "20s" });

  const alwaysFailing = Array.from({ length: total }, (_, n) => n).filter((n) => n % 50 === 0);
  expect(succeeded.size).toBe(total - alwaysFailing.length);
  for (let n = 0; n < total; n++) {
    const expected = n % 50 === 0 ? 3 : n % 5 === 0 ? 2 : 1;
    expect(attempts.get(n), `attempts of job ${n}`).toBe(expected);
  }
  // runUntilIdle sees the jobs dead in the store; their dead-letter handler may still be on its way.
  await waitFor(() => deadLettered.length >= alwaysFailing.length, {
    timeout: "5s",
    description: "the dead-letter handler calls",
  });
  expect(deadLettered.sort((a, b) => a - b)).toEqual(alwaysFailing);

  // The schedule: one job per 10-second tick, never two. The clock moves one tick at a time, and
  // each tick (a round trip to the backend) is waited for before the next.
  const firstTicks = ticks.length;
  for (let step = 1; step <= 6; step++) {
    await clock.advance("10s");
    await waitFor(() => ticks.length >= firstTicks + step, { timeout: "5s", description: `tick ${step}` });
  }
  await runUntilIdle(s, { timeout: "20s" });
  expect(ticks.length).toBe(firstTicks + 6);
  expect(new Set(ticks).size).toBe(ticks.length);
  expect(ticks.every((at) => /:[0-5]0\.000Z$/.test(at))).toBe(true);

  expect(await s.stats()).toMatchObject({
    pending: 0,
    running: 0,
    failed: 0,
    dead: alwaysFailing.length,
    // Each dead job's dead-letter job completed too.
    completed: total - alwaysFailing.length + ticks.length + alwaysFailing.length,
  });
  expect((await store.getSchedule("report"))?.occurrences).toBe(ticks.length);

  await s.stop({ timeout: "5s" });
  expect(s.running).toBe(false);
}

/**
 * A scheduler limited to 1 KiB payloads: an enqueue over the limit, alone or in a batch with a
 * valid job, rejects with code `PAYLOAD_TOO_LARGE` and stores nothing.
 */
export async function payloadLimitScenario(store: Store): Promise<void> {
  const s = createScheduler({ store, logger: recordingLogger(), maxPayloadBytes: 1024 });
  await s.enqueue({ name: "small", payload: { text: "ok" } });
  await expect(s.enqueue({ name: "big", payload: { text: "x".repeat(2000) } })).rejects.toMatchObject({
    code: "PAYLOAD_TOO_LARGE",
  });
  await expect(
    s.enqueueMany([{ name: "fine" }, { name: "big", payload: "y".repeat(5000) }]),
  ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  expect((await store.listJobs({})).jobs.map((job) => job.name)).toEqual(["small"]);
}

/**
 * Defines end-to-end scenarios of a {@link Store} adapter under a real scheduler, as a vitest
 * `describe` block named `"<name> in a scheduler"`:
 *
 * - on a test clock, 300 jobs run with retries (every 5th fails once) and dead letters (every
 *   50th fails three times, then its dead-letter handler runs); a schedule every 10 seconds fires
 *   exactly once per tick over six ticks, on the tick; the stats add up, the schedule's
 *   `occurrences` match, and the scheduler stops;
 * - a payload over `maxPayloadBytes`, alone or in a batch, is rejected with `PAYLOAD_TOO_LARGE`
 *   and nothing of the batch is stored;
 * - schedules you can steer: pause and resume (kept across a re-definition, and against a
 *   concurrent re-definition on another instance), trigger, preview, backfill, `startAt` and
 *   `jitter`, and each overlap policy (`allow`, `skip`, `bufferOne`, `cancelOther`).
 *
 * `factory` is called before each test and must return an open, **empty** store; the store is
 * closed after the test (after `options.cleanup`, when given). Run it next to {@link storeConformance}: the conformance suite checks
 * each `Store` method, these scenarios the methods working together. Scenarios that need a
 * capability the store does not declare (a cancel pushed to another instance needs
 * `pushedEvents`), or a second instance without `options.openPeer`, are reported as skipped with
 * the reason.
 *
 * @example
 * ```ts
 * import { storeSchedulerScenarios } from "@sched/testing/conformance";
 * import { MemoryStore } from "@sched/core";
 *
 * storeSchedulerScenarios("MemoryStore", () => new MemoryStore());
 * ```
 */
export function storeSchedulerScenarios(
  name: string,
  factory: () => Promise<Store> | Store,
  options: StoreSchedulerScenariosOptions = {},
): void {
  describe(`${name} in a scheduler`, () => {
    skipByName(options.skip);
    const current = storePerTest(factory, options.cleanup);

    it("runs 300 jobs with retries and dead letters, fires a schedule once per tick, and stops", {
      timeout: 90_000,
    }, async () => {
      await workloadScenario(current());
    });

    it("a payload over the size limit is PAYLOAD_TOO_LARGE and nothing is stored", async () => {
      await payloadLimitScenario(current());
    });

    it("retryJob of a job that used all its retries runs it again with a fresh budget", {
      timeout: 60_000,
    }, async () => {
      await retryAfterDeathScenario(current());
    });

    it("stops that interrupt a job use none of its retries and leave it pending at once", {
      timeout: 60_000,
    }, async () => {
      await interruptedByShutdownScenario(current());
    });

    it("a running job cancelled and retried, three times over, keeps a fresh budget", {
      timeout: 30_000,
    }, async () => {
      await cancelAndRetryScenario(current());
    });

    it("retryJob of a job that is not dead or cancelled throws and changes nothing", async () => {
      await retryJobRefusalScenario(current());
    });

    it("input a store cannot keep is refused, and an error holding such text is still recorded", {
      timeout: 30_000,
    }, async () => {
      await unstorableTextScenario(current());
    });

    it("stop() during a slow claim: the claimed job never starts, goes back at once, and nothing runs after stop", {
      timeout: 30_000,
    }, async () => {
      await stopDuringClaimScenario(current());
    });

    describe("schedules you can steer", () => {
      it("a paused schedule fires no tick, stays paused when defined again, and resumes from now", {
        timeout: 30_000,
      }, async () => {
        await pauseResumeScenario(current());
      });

      it("triggerSchedule runs once now from any instance, paused or not, and leaves the plan as it was", {
        timeout: 30_000,
      }, async () => {
        await triggerScenario(current());
      });

      it("previewSchedule honours startAt and until; backfillSchedule enqueues each run of a past range", {
        timeout: 30_000,
      }, async () => {
        await previewBackfillScenario(current());
      });

      it("startAt holds back earlier ticks and jitter delays each tick's job by its derived offset", {
        timeout: 30_000,
      }, async () => {
        await jitterStartAtScenario(current());
      });

      for (const overlap of ["allow", "skip", "bufferOne", "cancelOther"] as const) {
        it(`overlap "${overlap}": what the ticks do while the previous tick's job still runs`, {
          timeout: 30_000,
        }, async () => {
          await overlapScenario(current(), overlap);
        });
      }
    });

    const withPeer =
      (run: (store: Store, peer: Store) => Promise<void>, needs: readonly (keyof StoreCapabilities)[] = []) =>
      async (test: TestContext) => {
        const store = current();
        for (const capability of needs) requireCapability(store, capability, test);
        if (options.openPeer === undefined) test.skip("no openPeer was given for a second instance");
        const peer = await (options.openPeer as (store: Store) => Promise<Store> | Store)(store);
        try {
          await run(store, peer);
        } finally {
          if (peer !== store) await peer.close();
        }
      };

    it(
      "a rolling deploy: jobs of a name only the newer instance handles run there, none dies",
      { timeout: 60_000 },
      withPeer(rollingDeployScenario),
    );

    it(
      "a dead letter survives the instance that recorded the death; another instance handles it",
      { timeout: 30_000 },
      withPeer(durableDeadLetterScenario),
    );

    it(
      "cancel() of a job running on another instance aborts it within milliseconds, without a lease warning",
      { timeout: 30_000 },
      withPeer(pushedCancelScenario, ["pushedEvents"]),
    );

    it(
      "pausing a schedule while another instance defines it anew keeps both changes, whatever the order",
      { timeout: 30_000 },
      withPeer(concurrentPauseScenario),
    );
  });
}
