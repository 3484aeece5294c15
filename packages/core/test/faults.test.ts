import { describe, expect, it } from "vitest";
import { StoreTimeoutError } from "../src/errors.js";
import { MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import type { CompleteOptions, JobRef } from "../src/store/store.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { deferred, recordingLogger, setup, testStore, turns, until } from "./helpers.js";

/** A memory store whose acknowledgements fail `failures` times, as during an outage. */
class FlakyAcks extends MemoryStore {
  calls = 0;
  constructor(private readonly failures: number) {
    super();
  }
  override async completeJobs(refs: readonly JobRef[], options: CompleteOptions): Promise<boolean[]> {
    this.calls++;
    if (this.calls <= this.failures) throw new Error("connection refused");
    return super.completeJobs(refs, options);
  }
}

describe("logging during an outage", () => {
  it("failed acknowledgements are logged a few times, then one in 20, and their recovery once", async () => {
    const store = new FlakyAcks(45);
    const { s, clock, logger } = setup({ store });
    s.register("j", () => {});
    await s.start();
    const job = await s.enqueue({ name: "j" });
    await until(() => store.calls >= 1);
    for (let i = 0; i < 50; i++) {
      await clock.advance("500ms");
      await turns(3);
    }
    await until(async () => (await store.getJob(job.id))?.status === "completed");
    const failures = logger.lines.filter((line) =>
      line.startsWith("error acknowledging completed jobs failed"),
    );
    // Calls 1, 2, 3, 20 and 40 of 45 failures.
    expect(failures).toHaveLength(5);
    expect(
      logger.lines.filter((line) => line.startsWith("info acknowledging completed jobs works again")),
    ).toHaveLength(1);
    await s.stop({ timeout: 0 });
  });
});

describe("a store that hangs", () => {
  it("enqueue and getJob reject with STORE_TIMEOUT within storeTimeout", async () => {
    const store = testStore();
    const s = createScheduler({ store, logger: recordingLogger(), storeTimeout: "150ms" });
    store.hang.add("createJobs");
    store.hang.add("getJob");
    await expect(s.enqueue({ name: "x" })).rejects.toMatchObject({
      code: "STORE_TIMEOUT",
      operation: "createJobs",
    });
    await expect(s.getJob("x")).rejects.toBeInstanceOf(StoreTimeoutError);
  });

  it("STORE_TIMEOUT names the server the store describes, and only what it describes", async () => {
    const store = testStore();
    const s = createScheduler({ store, logger: recordingLogger(), storeTimeout: "50ms" });
    store.hang.add("getJob");
    // The memory store describes no server: the message says only "the store".
    const plain = await s.getJob("x").catch((err: unknown) => err);
    expect(plain).toMatchObject({ code: "STORE_TIMEOUT", server: null });
    expect((plain as Error).message).toBe("the store did not answer getJob within 50ms");
    const described = store as unknown as { describeServer: () => string };
    described.describeServer = () => "TestDB at 10.0.0.7:4000";
    const named = await s.getJob("x").catch((err: unknown) => err);
    expect(named).toMatchObject({ code: "STORE_TIMEOUT", server: "TestDB at 10.0.0.7:4000" });
    expect((named as Error).message).toBe(
      "the store (TestDB at 10.0.0.7:4000) did not answer getJob within 50ms",
    );
    // A describeServer that throws or answers nothing usable is left out, never the error.
    for (const bad of [
      () => {
        throw new Error("secret");
      },
      () => "",
      () => 42,
    ]) {
      (store as unknown as { describeServer: unknown }).describeServer = bad;
      const err = await s.getJob("x").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "STORE_TIMEOUT", server: null });
    }
  });

  it("healthCheck reports it unhealthy within its timeout", async () => {
    const store = testStore();
    const { s } = setup({ store });
    await s.start();
    store.hang.add("ping");
    const t0 = Date.now();
    await expect(s.healthCheck({ timeout: "100ms" })()).rejects.toMatchObject({ code: "STORE_TIMEOUT" });
    expect(Date.now() - t0).toBeLessThan(2_000);
    store.hang.clear();
    await s.stop({ timeout: 0 });
  });

  it("stop() resolves within timeout + 4 s when every store call hangs, and nothing is logged after", async () => {
    const store = testStore();
    const logger = recordingLogger();
    const s = createScheduler({ store, logger, storeTimeout: "1h", pollInterval: "20ms" });
    let started = false;
    s.register("long", async (_job, ctx) => {
      started = true;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    await s.start();
    await s.enqueue({ name: "long" });
    await until(() => started);
    for (const method of [
      "claimDueJobs",
      "completeJobs",
      "failJob",
      "releaseJobs",
      "renewLeases",
      "recoverExpiredLeases",
      "nextDueAt",
      "listSchedules",
      "epoch",
      "cleanup",
      "waitingJobNames",
      "close",
    ]) {
      store.hang.add(method);
    }
    const t0 = Date.now();
    await s.stop({ timeout: "200ms" });
    const took = Date.now() - t0;
    expect(took).toBeLessThan(200 + 1_000 + 3_000 + 500);
    const lines = logger.lines.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logger.lines.length).toBe(lines);
  }, 15_000);

  it("stop() keeps its bound when a claim hangs and a handler ignores its signal", async () => {
    const store = testStore();
    const s = createScheduler({
      store,
      logger: recordingLogger(),
      storeTimeout: "1h",
      workers: 2,
      pollInterval: "20ms",
    });
    let started = false;
    s.register("stubborn", async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 8_000).unref());
    });
    await s.start();
    await s.enqueue({ name: "stubborn" });
    await until(() => started);
    // Every store call hangs from now on.
    for (const method of [
      "claimDueJobs",
      "createJobs",
      "completeJobs",
      "failJob",
      "releaseJobs",
      "renewLeases",
    ])
      store.hang.add(method);
    // A free slot and a 20 ms poll: a claim is in flight, and never answers.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const t0 = Date.now();
    await s.stop({ timeout: "200ms" });
    // timeout + 1 s for handlers to honour the abort + 3 s for the store: the abort's second is
    // not spent after the store's share (a hung claim held the executor's stop to the deadline).
    expect(Date.now() - t0).toBeLessThan(200 + 1_000 + 3_000 + 400);
  }, 15_000);

  it("a claim that answers after its timeout hands its jobs back without penalty", async () => {
    const store = testStore();
    const real = store.inner;
    const { s, logger } = setup({ store, storeTimeout: "100ms" });
    // The claim is made, then its answer comes late.
    (store as unknown as { claimDueJobs: unknown }).claimDueJobs = undefined;
    const slowClaims = async (options: Parameters<MemoryStore["claimDueJobs"]>[0]) => {
      const jobs = await real.claimDueJobs(options);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return jobs;
    };
    Object.defineProperty(store, "claimDueJobs", { value: slowClaims });
    s.register("late", () => {});
    const job = await s.enqueue({ name: "late" });
    await s.start();
    await until(async () => (await real.getJob(job.id))?.attempt === 1, 5_000);
    await until(async () => (await real.getJob(job.id))?.status === "pending", 5_000);
    expect(await real.getJob(job.id)).toMatchObject({ status: "pending", lostLeases: 0, retryCount: 0 });
    expect(
      logger.lines.some(
        (line) => line.includes("STORE_TIMEOUT") || line.includes("did not answer claimDueJobs"),
      ),
    ).toBe(true);
    await s.stop({ timeout: 0 });
  });
});

describe("a store that lost its data", () => {
  it("is noticed, reported by the log and healthCheck, and the instance's schedules are restored at once", async () => {
    const store = testStore();
    const { s, clock, logger } = setup({ store, distributed: { lockTTL: "30s", lockRefresh: "5s" } });
    await s.schedule("nightly", "0 3 * * *", () => {});
    s.register("j", () => {});
    await s.start();
    await s.enqueue({ name: "j", delay: "1h" });
    await clock.advance("5s");
    await s.healthCheck()();
    store.wipe();
    expect(await store.getSchedule("nightly")).toBeNull();
    await clock.advance("5s");
    await until(async () => (await store.getSchedule("nightly")) !== null);
    expect(logger.lines.filter((line) => line.startsWith("error the store lost its data"))).toHaveLength(1);
    expect(logger.lines.some((line) => line.startsWith("warn restored 1 schedule(s)"))).toBe(true);
    await expect(s.healthCheck()()).rejects.toMatchObject({ code: "STORE_STATE_LOST" });
    await clock.advance("6m");
    await s.healthCheck()();
    await s.stop({ timeout: 0 });
  });
});

describe("one schedule name, one definition", () => {
  const define = async (order: number[]) => {
    const store = new MemoryStore();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const expressions = ["0 1 * * *", "0 2 * * *", "0 3 * * *", "0 4 * * *", "0 5 * * *"];
    const instances = expressions.map((_, i) => {
      const logger = recordingLogger();
      const s = createScheduler({ store, clock, logger, distributed: { instanceId: `instance-${i}` } });
      return { s, logger };
    });
    const results = await Promise.all(
      order.map((i) => instances[i]!.s.schedule("x", expressions[i]!, () => {})),
    );
    const stored = await store.getSchedule("x");
    return { stored, results, instances };
  };

  it("the latest definition wins whatever order the writes land in, and the others are told", async () => {
    const forward = await define([0, 1, 2, 3, 4]);
    const backward = await define([4, 3, 2, 1, 0]);
    // All defined at the same instant: the greatest instance id breaks the tie, in both orders.
    expect(forward.stored?.definition.expression).toBe("0 5 * * *");
    expect(backward.stored?.definition.expression).toBe("0 5 * * *");
    expect(forward.stored?.definedBy).toBe("instance-4");
    for (const { instances } of [forward, backward]) {
      await Promise.all(instances.map(({ s }) => s.stop({ timeout: 0 })));
    }
  });

  it("an instance whose definition lost logs a warning and gets the stored record back", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const first = createScheduler({
      store,
      clock,
      logger: recordingLogger(),
      distributed: { instanceId: "a" },
    });
    await first.schedule("x", "0 1 * * *", () => {});
    await clock.advance("1m");
    const laterLogger = recordingLogger();
    const later = createScheduler({ store, clock, logger: laterLogger, distributed: { instanceId: "b" } });
    expect((await later.schedule("x", "0 2 * * *", () => {})).definition.expression).toBe("0 2 * * *");
    // The first instance defines again with a stale clock: its definition is older and loses.
    const staleLogger = recordingLogger();
    const stale = createScheduler({
      store,
      clock: new ManualClock(new Date("2030-01-01T00:00:00.000Z")),
      logger: staleLogger,
      distributed: { instanceId: "c" },
    });
    const record = await stale.schedule("x", "0 9 * * *", () => {});
    expect(record.definition.expression).toBe("0 2 * * *");
    expect(
      staleLogger.lines.filter((line) => line.includes('schedule "x" is stored with another definition')),
    ).toHaveLength(1);
  });

  it("an instance is told once per name, though the stored definition changes again", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const logger = recordingLogger();
    const told = () =>
      logger.lines.filter((line) => line.includes('schedule "x" is stored with another definition'));
    const loser = createScheduler({
      store,
      clock,
      logger,
      distributed: { instanceId: "a", lockRefresh: "1s" },
    });
    await loser.schedule("x", "0 1 * * *", () => {});
    await loser.start();
    const other = createScheduler({
      store,
      clock,
      logger: recordingLogger(),
      distributed: { instanceId: "b" },
    });
    for (const expression of ["0 2 * * *", "0 3 * * *"]) {
      await clock.advance("1m");
      await other.schedule("x", expression, () => {});
      await clock.advance("1s");
      await until(() => told().length > 0);
    }
    await clock.advance("5s");
    expect(told()).toHaveLength(1);
    // Defining the name again (later, so it wins) and losing again tells again.
    await clock.advance("1m");
    await loser.schedule("x", "0 4 * * *", () => {});
    await clock.advance("1m");
    await other.schedule("x", "0 5 * * *", () => {});
    await clock.advance("1s");
    await until(() => told().length === 2);
    await loser.stop({ timeout: 0 });
  });
});

describe("pushed events", () => {
  it("a cancel of an earlier attempt does not abort the attempt running now", async () => {
    const store = testStore();
    const { s } = setup({ store });
    let reason: unknown = null;
    s.register("j", async (_job, ctx) => {
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          reason = ctx.signal.reason;
          resolve();
        });
      });
    });
    await s.start();
    const job = await s.enqueue({ name: "j" });
    await until(async () => (await store.getJob(job.id))?.status === "running");
    store.emit({ type: "cancelled", id: job.id, queue: job.queue, attempt: 0 });
    await turns();
    expect(reason).toBeNull();
    store.emit({ type: "cancelled", id: job.id, queue: job.queue, attempt: 1 });
    await until(() => reason !== null);
    await s.stop({ timeout: 0 });
  });

  it("a connected event after an outage claims at once, whatever the backoff", async () => {
    const store = testStore();
    const { s, clock } = setup({ store });
    const ran: string[] = [];
    s.register("j", (job) => {
      ran.push(job.id);
    });
    store.hang.add("claimDueJobs");
    await s.start();
    // Claims fail for a while: the loop backs off.
    const failing = store.inner.claimDueJobs.bind(store.inner);
    store.hang.delete("claimDueJobs");
    Object.defineProperty(store, "claimDueJobs", {
      configurable: true,
      value: () => Promise.reject(new Error("connection refused")),
    });
    for (let i = 0; i < 8; i++) await clock.advance("30s");
    // The outage: what another instance enqueues meanwhile sends no event.
    store.muted = true;
    const job = await createScheduler({ store: store.inner, logger: recordingLogger() }).enqueue({
      name: "j",
    });
    Object.defineProperty(store, "claimDueJobs", { configurable: true, value: failing });
    await turns();
    expect(ran).toEqual([]);
    store.muted = false;
    store.emit({ type: "connected" });
    await until(() => ran.length === 1);
    expect(ran).toEqual([job.id]);
    await s.stop({ timeout: 0 });
  });
});

/** A memory store whose outcome, lease and claim calls fail while `down` is set, as in an outage. */
function outageStore() {
  const inner = new MemoryStore();
  const failing = new Set([
    "claimDueJobs",
    "completeJobs",
    "failJob",
    "releaseJobs",
    "rateLimitJob",
    "renewLeases",
    "recoverExpiredLeases",
  ]);
  const state = { down: false };
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (state.down && failing.has(String(prop))) return Promise.reject(new Error("connection refused"));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, inner, state };
}

describe("outcomes recorded across an outage", () => {
  it("a failure the store could not take is retried: no extra run, its error kept, no lost lease", async () => {
    const { store, inner, state } = outageStore();
    const { s, clock, logger } = setup({ store });
    const gate = deferred();
    let runs = 0;
    s.register(
      "boom",
      async () => {
        runs++;
        await gate.promise;
        throw new Error("handler failure dies");
      },
      { maxRetries: 0 },
    );
    await s.start();
    const job = await s.enqueue({ name: "boom" });
    await until(() => runs === 1);
    state.down = true;
    gate.resolve();
    await until(() => logger.lines.some((l) => l.includes("recording a failed attempt failed; retrying")));
    for (let i = 0; i < 6; i++) {
      await clock.advance("500ms");
      await turns(3);
    }
    state.down = false;
    for (let i = 0; i < 4; i++) {
      await clock.advance("500ms");
      await turns(3);
    }
    await until(async () => (await inner.getJob(job.id))?.status === "dead");
    const dead = await inner.getJob(job.id);
    expect(runs).toBe(1);
    expect(dead).toMatchObject({ status: "dead", attempt: 1, lostLeases: 0, error: "handler failure dies" });
    expect(logger.lines.some((l) => l.includes("recording a failed attempt worked after"))).toBe(true);
    await s.stop({ timeout: 0 });
  });

  it("after an outage longer than the lease, this instance's unrecorded completion lands before it recovers leases", async () => {
    const { store, inner, state } = outageStore();
    const { s, clock } = setup({ store, distributed: { lockTTL: "2s", lockRefresh: "1s" } });
    const gate = deferred();
    let runs = 0;
    s.register("work", async () => {
      runs++;
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "work" });
    await until(() => runs === 1);
    state.down = true;
    gate.resolve();
    for (let i = 0; i < 8; i++) {
      await clock.advance("500ms");
      await turns(3);
    }
    // The store is back and says so (as a push connection that reconnects does): every loop
    // looks at once, lease recovery too, while the acknowledgement waits for its next retry.
    state.down = false;
    (inner as unknown as { emit(event: { type: "connected" }): void }).emit({ type: "connected" });
    for (let i = 0; i < 8; i++) {
      await turns(5);
      await clock.advance("250ms");
    }
    await until(async () => (await inner.getJob(job.id))?.status === "completed");
    expect({ runs, lostLeases: (await inner.getJob(job.id))?.lostLeases }).toEqual({
      runs: 1,
      lostLeases: 0,
    });
    await s.stop({ timeout: 0 });
  });
});

describe("stop() during an outage", () => {
  it("the hand-back of an interrupted job is tried again while stop()'s bound allows, and lands when the store is back", async () => {
    const { store, inner, state } = outageStore();
    const s = createScheduler({ store, logger: recordingLogger() });
    let started = false;
    s.register("long", async (_job, ctx) => {
      started = true;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    await s.start();
    const job = await s.enqueue({ name: "long", maxRetries: 0 });
    await until(() => started);
    // The store refuses every call at once (connection refused), for 1.8 s: more than three
    // tries 500 ms apart, well within stop()'s bound.
    state.down = true;
    const back = setTimeout(() => {
      state.down = false;
    }, 1_800);
    try {
      await s.stop({ timeout: "100ms" });
    } finally {
      clearTimeout(back);
      state.down = false;
    }
    expect(await inner.getJob(job.id)).toMatchObject({
      status: "pending",
      attempt: 1,
      retryCount: 0,
      lostLeases: 0,
    });
  }, 15_000);
});
