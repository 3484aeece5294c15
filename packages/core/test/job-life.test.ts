import { afterEach, describe, expect, it, vi } from "vitest";
import { createSchedulerFromEnv } from "../src/from-env.js";
import type { Leader } from "../src/leadership/leader.js";
import { MemoryLeader, MemoryLeaderGroup, MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { deferred, recordingLogger, setup, turns, until } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the default logger", () => {
  it("warns about a failed attempt, a dead job and a job name without a handler (once per name)", async () => {
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const s = createScheduler({ clock, retry: { maxAttempts: 2, initialDelay: "1s", jitter: 0 } });
    s.register("flaky", () => {
      throw new Error("it broke");
    });
    await s.start();
    try {
      const job = await s.enqueue({ name: "flaky" });
      await s.enqueue({ name: "unknown_name" });
      await s.enqueue({ name: "unknown_name" });
      await until(() => warnings.some((line) => line.includes("job failed; retrying in 1000ms")));
      await clock.advance("1s");
      await until(async () => (await s.getJob(job.id))?.status === "dead");
      await until(() => warnings.some((line) => line.includes("job is dead")));
      for (let i = 0; i < 6; i++) await clock.advance("10s");
      await until(() => warnings.some((line) => line.includes('"unknown_name"')));
      await turns();
      expect(warnings.filter((line) => line.includes('"unknown_name"'))).toHaveLength(1);
      expect(warnings.every((line) => line.startsWith("[sched] "))).toBe(true);
    } finally {
      await s.stop({ timeout: 0 });
    }
  });
});

describe("stop() of a scheduler that never started", () => {
  it("closes the store and leader it created itself (a producer-only process can exit)", async () => {
    const closed: string[] = [];
    const store = new MemoryStore();
    const leader = new MemoryLeader({ instanceId: "p", group: new MemoryLeaderGroup() });
    const storeClose = store.close.bind(store);
    store.close = async () => {
      closed.push("store");
      await storeClose();
    };
    (leader as Leader).close = async () => {
      closed.push("leader");
    };
    const s = await createSchedulerFromEnv(
      {
        SCHEDULER_STORE: "postgres",
        SCHEDULER_DISTRIBUTED: "true",
        SCHEDULER_POSTGRES_URL: "postgres://h/db",
      },
      {},
      async (name) => ({ fromEnv: () => (name.includes("store") ? store : leader) }),
    );
    await s.enqueue({ name: "produced" });
    await s.stop();
    expect(closed).toEqual(["leader", "store"]);
    expect(s.status).toBe("stopped");
    await expect(s.enqueue({ name: "late" })).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
    // Idempotent.
    await s.stop();
    expect(closed).toEqual(["leader", "store"]);
  });

  it("leaves a store it was given open", async () => {
    const store = new MemoryStore();
    const s = createScheduler({ store, logger: recordingLogger() });
    await s.enqueue({ name: "produced" });
    await s.stop();
    expect((await store.listJobs({})).jobs).toHaveLength(1);
  });
});

describe("a store closed under a running scheduler", () => {
  it("stops the scheduler, with one error line, instead of leaving loops to retry", async () => {
    const { s, clock, store, logger } = setup({ pollInterval: "1s" });
    let release: () => void = () => {};
    s.register(
      "j",
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await s.start();
    await s.enqueue({ name: "j" });
    await until(async () => (await store.stats()).running === 1);
    await store.close();
    // The running job completes: its acknowledgement finds the store closed.
    release();
    await until(() => !s.running, 5_000);
    expect(s.status).toBe("stopped");
    for (let i = 0; i < 30; i++) await clock.advance("10s");
    await turns();
    const errors = logger.lines.filter((line) => line.startsWith("error"));
    expect(errors.some((line) => line.includes("the store was closed while the scheduler was running"))).toBe(
      true,
    );
    expect(errors.length).toBeLessThanOrEqual(3);
    const before = logger.lines.length;
    for (let i = 0; i < 30; i++) await clock.advance("1m");
    await turns();
    expect(logger.lines.length).toBe(before);
    await expect(s.healthCheck()()).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
  });
});

describe("whatever a handler throws", () => {
  it("an error whose message getter throws, or a Proxy whose traps throw, fails the attempt and is recorded", async () => {
    const { s, store } = setup({ retry: { maxAttempts: 1 } });
    s.register("getter", () => {
      const err = new Error("x");
      Object.defineProperty(err, "message", {
        get() {
          throw new Error("getter threw");
        },
      });
      throw err;
    });
    s.register("proxy", () =>
      Promise.reject(
        new Proxy(
          {},
          {
            get() {
              throw new Error("trap threw");
            },
            getPrototypeOf() {
              throw new Error("trap threw");
            },
          },
        ),
      ),
    );
    s.register("symbol", () => Promise.reject(Symbol("odd")));
    await s.start();
    const jobs = await Promise.all(["getter", "proxy", "symbol"].map((name) => s.enqueue({ name })));
    for (const job of jobs) {
      await until(async () => (await store.getJob(job.id))?.status === "dead");
      expect((await store.getJob(job.id))?.error).toEqual(expect.any(String));
    }
    await s.stop({ timeout: 0 });
  });
});

describe("stop() bounds and leases", () => {
  it("keeps renewing the leases of running jobs while it waits for them", async () => {
    const { s, clock, store } = setup({ distributed: { lockTTL: "30s", lockRefresh: "10s" } });
    const gate = deferred();
    let started = false;
    s.register("long", async () => {
      started = true;
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "long" });
    await until(() => started);
    const stopping = s.stop({ timeout: "2m" });
    for (let i = 0; i < 9; i++) await clock.advance("10s");
    // 90 s into the stop, three lock TTLs: the lease was renewed all along.
    const during = await store.getJob(job.id);
    expect(during?.status).toBe("running");
    expect(during!.lockedUntil!.getTime()).toBeGreaterThan(clock.now());
    gate.resolve();
    await stopping;
    expect(await store.getJob(job.id)).toMatchObject({ status: "completed", attempt: 1 });
  });

  it("resolves within timeout + 1 s when a handler ignores its abort, and returns the job without penalty", async () => {
    const { s, clock, store, job } = await runningStubborn();
    let stopped = false;
    const stopping = s.stop({ timeout: "5s" }).then(() => {
      stopped = true;
    });
    await clock.advance("4999ms");
    await turns();
    expect(stopped).toBe(false);
    // Then 1 s of grace for the aborted handler (by the clock or by real time, whichever first).
    await clock.advance("1001ms");
    await stopping;
    expect(await store.getJob(job.id)).toMatchObject({ status: "pending", retryCount: 0, lostLeases: 0 });
  });

  it("stop({ timeout: 0 }) on a test clock nobody advances resolves after 1 s of real time, the job returned", async () => {
    const { s, store, job } = await runningStubborn();
    const began = Date.now();
    await s.stop({ timeout: 0 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(990);
    expect(await store.getJob(job.id)).toMatchObject({ status: "pending", retryCount: 0, lostLeases: 0 });
  });
});

describe("schedules whose code was removed", () => {
  it("the leader warns once and fires them; their ticks wait for an instance that defines them", async () => {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const store = new MemoryStore();
    const older = createScheduler({ store, clock, logger: recordingLogger() });
    await older.schedule("retired", "* * * * *", () => {});
    const logger = recordingLogger();
    const newer = createScheduler({ store, clock, logger });
    newer.register("other", () => {});
    await newer.start();
    try {
      for (let i = 0; i < 3; i++) await clock.advance("1m");
      await until(async () => (await store.listJobs({ name: "retired" })).jobs.length >= 2);
      const ticks = (await store.listJobs({ name: "retired" })).jobs;
      expect(ticks.every((job) => job.status === "pending" && job.attempt === 0)).toBe(true);
      expect(
        logger.lines.filter((line) => line.includes('schedule "retired" is stored but not defined here')),
      ).toHaveLength(1);
    } finally {
      await newer.stop({ timeout: 0 });
    }
  });
});

/** A started scheduler on a manual clock whose one job runs a handler that never settles. */
async function runningStubborn() {
  const made = setup();
  let started = false;
  made.s.register("stubborn", () => {
    started = true;
    return new Promise<void>(() => {});
  });
  await made.s.start();
  const job = await made.s.enqueue({ name: "stubborn" });
  await until(() => started);
  return { ...made, job };
}
