import { describe, expect, it } from "vitest";
import { JobCancelledError, LeaseLostError } from "../src/errors.js";
import { MemoryLeader, MemoryLeaderGroup, MemoryStore } from "../src/memory/index.js";
import { createScheduler } from "../src/scheduler.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { deferred, recordingLogger, setup, turns, until } from "./helpers.js";

function activeResources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r !== "TTYWrap" && r !== "PipeWrap")
    .sort();
}

/** Whether every resource of `found` (counted) is also in `allowed`. */
function isWithin(found: string[], allowed: string[]): boolean {
  const left = [...allowed];
  for (const resource of found) {
    const i = left.indexOf(resource);
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

describe("start and stop", () => {
  it("reports running, and refuses new jobs once stopped", async () => {
    const { s } = setup();
    expect(s.running).toBe(false);
    await s.start();
    await s.start();
    expect(s.running).toBe(true);
    expect(s.status).toBe("running");
    await s.stop();
    expect(s.running).toBe(false);
    await expect(s.enqueue({ name: "x" })).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
    await s.stop();
  });

  it("a graceful stop waits for running jobs to finish", async () => {
    const { s } = setup();
    const gate = deferred();
    let finished = false;
    s.register("slow", async () => {
      await gate.promise;
      finished = true;
    });
    await s.start();
    const job = await s.enqueue({ name: "slow" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    const stopping = s.stop({ timeout: "1m" });
    await turns();
    expect(s.status).toBe("stopping");
    gate.resolve();
    await stopping;
    expect(finished).toBe(true);
    expect((await s.getJob(job.id))?.status).toBe("completed");
  });

  it("waits past one Node.js timer's longest wait are kept whole: stop timeout and storeTimeout of 30 days", async () => {
    // One timer of 30 days fires after 1 ms: stop() returned with the job still running, and
    // every store call timed out at once.
    // Every store call takes 5 ms, more than the 1 ms such a timer waits.
    const memory = new MemoryStore();
    const slow = new Proxy(memory, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = value.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return new Promise((resolve) => setTimeout(resolve, 5)).then(() => result);
        };
      },
    });
    const { s } = setup({ store: slow, storeTimeout: "30d" });
    let finished = false;
    s.register("slowish", async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
    });
    await s.start();
    const job = await s.enqueue({ name: "slowish" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    await s.stop({ timeout: "30d" });
    expect(finished).toBe(true);
    expect((await s.getJob(job.id))?.status).toBe("completed");
  });

  it("stop aborts jobs still running after the timeout and returns them to the queue", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const s = createScheduler({ clock, store, logger: recordingLogger() });
    let reason: unknown = null;
    s.register("stubborn", (_job, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason;
      });
      return new Promise<void>(() => {});
    });
    await s.start();
    const job = await s.enqueue({ name: "stubborn" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    const stopping = s.stop({ timeout: "5s" });
    await clock.advance("5s");
    await clock.advance("1s");
    await stopping;
    expect((reason as Error).name).toBe("ShuttingDownError");
    const stored = await store.getJob(job.id);
    // Interrupted by shutdown, not by its own fault: pending at once, no retry used, no failure recorded.
    expect(stored).toMatchObject({
      status: "pending",
      retryCount: 0,
      lostLeases: 0,
      error: null,
      history: [],
    });
    expect(stored?.scheduledAt.getTime()).toBeLessThanOrEqual(clock.now());
    // Another instance picks it up at once.
    const next = createScheduler({ clock, store, logger: recordingLogger() });
    const ran: string[] = [];
    next.register("stubborn", (j) => {
      ran.push(j.id);
    });
    await next.start();
    await until(() => ran.length === 1);
    await next.stop();
  });

  it("stop interrupts a job whose handler returns when its signal aborts: pending again, not completed", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const ends: (Error | null)[] = [];
    const s = createScheduler({
      clock,
      store,
      logger: recordingLogger(),
      hooks: [{ afterJob: (_job, err) => void ends.push(err) }],
    });
    // The usual loop: do a step, return early once the signal has aborted, work left undone.
    s.register(
      "loop",
      (_job, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
    );
    await s.start();
    const job = await s.enqueue({ name: "loop" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    const stopping = s.stop({ timeout: "5s" });
    await clock.advance("5s");
    await stopping;
    expect(await store.getJob(job.id)).toMatchObject({ status: "pending", retryCount: 0, error: null });
    expect(ends).toHaveLength(1);
    expect(ends[0]?.name).toBe("ShuttingDownError");
  });

  it("sends nothing to the store once stop() has resolved, though its last calls went unanswered", async () => {
    const store = new MemoryStore();
    let frozen = false;
    let stopped = false;
    const afterStop: string[] = [];
    // While frozen, every call hangs, as on a server that stopped answering; calls made after
    // stop() resolved are recorded.
    const hanging = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function" || key === "subscribe") return value;
        return (...args: unknown[]) => {
          if (stopped) afterStop.push(String(key));
          if (frozen && key !== "close") return new Promise(() => {});
          return value.apply(target, args);
        };
      },
    });
    // Each call times out after 2 s: the acknowledgement's three tries outlast stop()'s deadline
    // (timeout + 1 s + 3 s), and the throughput recorder's last flush starts after it.
    const s = createScheduler({ store: hanging, logger: recordingLogger(), storeTimeout: "2s" });
    const finish = deferred();
    s.register("held", () => finish.promise);
    await s.start();
    const job = await s.enqueue({ name: "held" });
    await until(async () => (await store.getJob(job.id))?.status === "running");
    frozen = true;
    finish.resolve();
    await s.stop({ timeout: "100ms" });
    stopped = true;
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(afterStop).toEqual([]);
    // The acknowledgement never landed: the job is recovered when its lease expires.
    expect((await store.getJob(job.id))?.status).toBe("running");
  }, 20_000);

  it("leaves no timer or handle behind after stop", async () => {
    const before = activeResources();
    const s = createScheduler({ logger: recordingLogger(), pollInterval: "20ms" });
    s.register("j", async () => {});
    await s.schedule("tick", "* * * * * *", () => {});
    await s
      .every(1)
      .seconds()
      .do("every", () => {});
    await s.start();
    await s.enqueueMany(Array.from({ length: 50 }, () => ({ name: "j" })));
    await s.enqueue({ name: "j", delay: "1h" });
    await until(async () => (await s.stats()).completed === 50);
    // The scheduler keeps the process alive while it runs (an interval).
    expect(activeResources()).toContain("Timeout");
    await s.stop();
    await turns(2);
    // Nothing beyond what was there before (a timer of the test runner's may have fired meanwhile).
    await until(() => isWithin(activeResources(), before), 2_000);
  });

  it("the health check passes while running and throws when stopped", async () => {
    const { s } = setup();
    const check = s.healthCheck();
    await expect(check()).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
    await s.start();
    await expect(check()).resolves.toBeUndefined();
    await s.stop();
    await expect(check()).rejects.toThrow(/stopped/);
  });

  it("start rejects with the store's error when the store is closed, and stays stopped", async () => {
    const store = new MemoryStore();
    await store.close();
    const s = createScheduler({ store, logger: recordingLogger() });
    await expect(s.start()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    expect(s.running).toBe(false);
  });

  it("start rejects when the leader cannot start, and leaves nothing running", async () => {
    const before = activeResources();
    const leader = new MemoryLeader({ instanceId: "broken", group: new MemoryLeaderGroup() });
    leader.acquire = async () => {
      throw new Error("lock table missing");
    };
    const s = createScheduler({ leader, distributed: { enabled: true }, logger: recordingLogger() });
    await expect(s.start()).rejects.toThrow(/lock table missing/);
    expect(s.running).toBe(false);
    await turns(2);
    await until(() => isWithin(activeResources(), before), 2_000);
  });

  it("the health check throws when the store stops answering", async () => {
    const store = new MemoryStore();
    const s = createScheduler({ store, logger: recordingLogger() });
    await s.start();
    await store.close();
    await expect(s.healthCheck()()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    await s.stop();
  });

  it("a scheduler can be started again after stop", async () => {
    const { s } = setup();
    const ran: string[] = [];
    s.register("j", () => {
      ran.push("j");
    });
    await s.start();
    await s.stop();
    await s.start();
    await s.enqueue({ name: "j" });
    await until(() => ran.length === 1);
    await s.stop();
  });
});

describe("leases", () => {
  it("renews the lease of a long job so no other instance takes it over", async () => {
    const { s, clock, store } = setup({
      distributed: { lockTTL: "30s", lockRefresh: "10s" },
      defaultTimeout: 0,
    });
    const gate = deferred();
    let runs = 0;
    s.register("long", async () => {
      runs++;
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "long" });
    await until(() => runs === 1);
    await clock.advance("2m");
    const during = await store.getJob(job.id);
    expect(during?.status).toBe("running");
    expect(during!.lockedUntil!.getTime()).toBeGreaterThan(clock.now());
    gate.resolve();
    await until(async () => (await store.getJob(job.id))?.status === "completed");
    expect(runs).toBe(1);
    await s.stop();
  });

  it("ctx.heartbeat renews the lease at once", async () => {
    const { s, clock, store } = setup();
    const beat = deferred();
    const gate = deferred();
    s.register("hb", async (_job, ctx) => {
      await clock.advance("5s");
      await ctx.heartbeat();
      beat.resolve();
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "hb" });
    await beat.promise;
    const stored = await store.getJob(job.id);
    expect(stored!.lockedUntil!.getTime()).toBe(clock.now() + 30_000);
    gate.resolve();
    await s.stop();
  });

  it("recovers a job whose process died (its lease expired) and runs it again", async () => {
    const { s, clock, store } = setup({ hooks: [{ onRecover: (n) => recovered.push(n) }] });
    const recovered: number[] = [];
    const ran: number[] = [];
    s.register("orphan", (_job, ctx) => {
      ran.push(ctx.attempt);
    });
    const job = await s.enqueue({ name: "orphan" });
    // Another process claimed it and died.
    await store.claimDueJobs({
      queues: null,
      names: null,
      limit: 1,
      now: new Date(clock.now()),
      lockedUntil: new Date(clock.now() + 30_000),
      workerId: "dead-process",
    });
    await s.start();
    await clock.advance("31s");
    await until(() => ran.length === 1);
    expect(ran).toEqual([2]);
    expect(recovered).toEqual([1]);
    await until(async () => (await store.getJob(job.id))?.status === "completed");
    await s.stop();
  });

  it("a job whose lease expired too many times is made dead when the last lease is recovered", async () => {
    const dead: Array<[string, string]> = [];
    const enqueued: string[] = [];
    const { s, clock, store, logger } = setup({
      maxLeaseRecoveries: 1,
      hooks: [
        { onDead: (job, err) => dead.push([job.id, err.message]), onEnqueue: (job) => enqueued.push(job.id) },
      ],
    });
    const ran: number[] = [];
    s.register("poison", (_job, ctx) => {
      ran.push(ctx.attempt);
    });
    s.register("dead", () => {});
    const job = await s.enqueue({ name: "poison" });
    const crash = async (): Promise<void> => {
      await store.claimDueJobs({
        queues: null,
        names: null,
        limit: 1,
        now: new Date(clock.now()),
        lockedUntil: new Date(clock.now() + 1000),
        workerId: "crashing",
      });
      await clock.advance("2s");
    };
    await crash();
    const first = await store.recoverExpiredLeases({
      now: new Date(clock.now()),
      limit: 10,
      maxLostLeases: 1,
      error: "lease expired",
      deadLetter: null,
    });
    expect(first.recovered).toEqual([job.id]);
    await crash();
    // The scheduler's own recovery finds the second expired lease: one too many.
    await s.start();
    await until(async () => (await store.getJob(job.id))?.status === "dead");
    const stored = await store.getJob(job.id);
    expect(stored).toMatchObject({ lostLeases: 2, retryCount: 0, attempt: 2 });
    expect(stored?.error).toMatch(/lease expired/);
    expect(stored?.history.map((entry) => entry.attempt)).toEqual([1, 2]);
    expect(ran).toEqual([]);
    expect(dead).toEqual([[job.id, expect.stringMatching(/lease expired 2 times/)]]);
    // Its dead-letter job, inserted with the death, is reported as enqueued as any job is.
    expect(enqueued).toEqual([job.id, `${job.id}:dead:2`]);
    expect(await store.getJob(`${job.id}:dead:2`)).not.toBeNull();
    expect(logger.lines.some((line) => line.startsWith("warn job is dead: its lease expired 2 times"))).toBe(
      true,
    );
    await s.stop();
  });

  it("a job cancelled in the store by another instance is aborted at once, without a lease warning", async () => {
    const { s, clock, store, logger } = setup({ distributed: { lockTTL: "30s", lockRefresh: "10s" } });
    let reason: unknown = null;
    const gate = deferred();
    s.register("lost", async (_job, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason;
      });
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "lost" });
    await until(async () => (await store.getJob(job.id))?.status === "running");
    // An operator cancels it behind this instance's back, straight in the store: the store pushes it.
    await store.cancelJob(job.id, new Date(clock.now()));
    await until(() => reason !== null);
    expect((reason as Error).name).toBe("JobCancelledError");
    gate.resolve();
    await clock.advance("10s");
    await turns();
    expect((await store.getJob(job.id))?.status).toBe("cancelled");
    expect(logger.lines.filter((line) => line.startsWith("warn"))).toEqual([]);
    await s.stop();
  });

  it("a handler whose lease was taken over is aborted at the next renewal, with a warning, and its result is ignored", async () => {
    const { s, clock, store, logger } = setup({ distributed: { lockTTL: "30s", lockRefresh: "10s" } });
    let reason: unknown = null;
    const gate = deferred();
    s.register("lost", async (_job, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason;
      });
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "lost" });
    await until(async () => (await store.getJob(job.id))?.status === "running");
    // Another instance, whose clock runs far ahead, saw the lease expired and took the job over.
    const takeover = await takeOver(store, clock.now() + 3_600_000);
    expect(takeover).toMatchObject({ id: job.id, attempt: 2 });
    await clock.advance("10s");
    await until(() => reason !== null);
    expect((reason as Error).message).toMatch(/lease was lost/);
    // Not a cancel: cleanup meant for a cancelled job must not run for a job that goes on elsewhere.
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).not.toBeInstanceOf(JobCancelledError);
    expect((reason as LeaseLostError).code).toBe("LEASE_LOST");
    await until(() => logger.lines.some((line) => line.startsWith("warn lost the lease")));
    gate.resolve();
    await turns();
    expect(await store.getJob(job.id)).toMatchObject({ status: "running", attempt: 2, lockedBy: "other" });
    await s.stop();
  });

  it("ctx.heartbeat() after a takeover rejects with the LeaseLostError the signal carries; after a cancel, with a JobCancelledError", async () => {
    for (const lostBy of ["takeover", "cancel"] as const) {
      const { s, clock, store } = setup({ distributed: { lockTTL: "30s", lockRefresh: "10s" } });
      const beat = deferred();
      let heartbeatError: unknown = null;
      let signalReason: unknown = null;
      s.register("beating", async (_job, ctx) => {
        await beat.promise;
        await ctx.heartbeat().catch((err: unknown) => {
          heartbeatError = err;
        });
        signalReason = ctx.signal.reason;
      });
      await s.start();
      const job = await s.enqueue({ name: "beating" });
      await until(async () => (await store.getJob(job.id))?.status === "running");
      if (lostBy === "takeover") {
        await takeOver(store, clock.now() + 3_600_000);
      } else {
        // Cancelled in the store, its push lost: the renewal is refused with no event first.
        const events = store as unknown as { emit: (event: unknown) => void };
        const emit = events.emit;
        events.emit = () => {};
        const cancelled = await store.cancelJob(job.id, new Date(clock.now()));
        events.emit = emit;
        expect(cancelled?.status).toBe("cancelled");
      }
      beat.resolve();
      await until(() => heartbeatError !== null);
      expect(heartbeatError).toBe(signalReason);
      if (lostBy === "takeover") expect(heartbeatError).toBeInstanceOf(LeaseLostError);
      else expect(heartbeatError).toBeInstanceOf(JobCancelledError);
      await s.stop({ timeout: 0 });
    }
  });
});

describe("maintenance", () => {
  it("purges completed jobs past retention and keeps recent ones", async () => {
    const { s, clock, store } = setup({ completedRetention: "1h", cleanupInterval: "10m" });
    s.register("j", () => {});
    await s.start();
    const old = await s.enqueue({ name: "j" });
    await until(async () => (await store.getJob(old.id))?.status === "completed");
    await clock.advance("50m");
    const recent = await s.enqueue({ name: "j" });
    await until(async () => (await store.getJob(recent.id))?.status === "completed");
    await clock.advance("20m");
    await until(async () => (await store.getJob(old.id)) === null);
    expect((await store.getJob(recent.id))?.status).toBe("completed");
    expect(await s.cleanupCompleted(0)).toBe(1);
    await s.stop();
  });

  it("deletes jobs on completion when completedRetention is 0", async () => {
    const { s, store } = setup({ completedRetention: 0 });
    s.register("j", () => {});
    await s.start();
    const job = await s.enqueue({ name: "j" });
    await until(async () => (await store.getJob(job.id)) === null);
    await s.stop();
  });

  it("a failing store never crashes the loop; claiming resumes when it answers again", async () => {
    const store = new MemoryStore();
    const logger = recordingLogger();
    const s = createScheduler({ store, logger, pollInterval: "10ms" });
    const original = store.claimDueJobs.bind(store);
    let failures = 3;
    store.claimDueJobs = async (options) => {
      if (failures > 0) {
        failures--;
        throw new Error("connection reset");
      }
      return original(options);
    };
    const ran: string[] = [];
    s.register("j", () => {
      ran.push("j");
    });
    await s.enqueue({ name: "j" });
    await s.start();
    await until(() => ran.length === 1);
    expect(logger.lines.filter((l) => l.includes("claiming jobs failed"))).toHaveLength(3);
    expect(logger.lines.join("\n")).toContain("connection reset");
    await s.stop();
  });
});

/** Makes `store`'s claims fail with a connection error while `failing` is set; counts them. */
function switchableClaims(store: MemoryStore): { failing: boolean; claims: number } {
  const state = { failing: false, claims: 0 };
  const original = store.claimDueJobs.bind(store);
  store.claimDueJobs = async (options) => {
    state.claims++;
    if (state.failing) throw new Error("connection reset");
    return original(options);
  };
  return state;
}

describe("the backoff of failed claims", () => {
  it("holds against a job's end; a store event or this instance's enqueue (the store answers) ends it", async () => {
    const { s, clock, store, logger } = setup({ pollInterval: "10s", workers: 2 });
    const claimsOf = switchableClaims(store);
    const release = deferred();
    const ran: string[] = [];
    s.register("long", async () => {
      await release.promise;
    });
    s.register("j", () => {
      ran.push("j");
    });
    // Enqueued by another instance: the long job is claimed by the loop, not by an enqueue.
    const producer = createScheduler({ store, clock });
    await producer.enqueue({ name: "long" });
    await s.start();
    await until(async () => (await store.stats()).running === 1);
    // The poll's claim fails: a backoff of 100 ms begins.
    claimsOf.failing = true;
    const before = claimsOf.claims;
    await clock.advance("10s");
    await until(() => claimsOf.claims === before + 1);
    await turns();
    // The long job ends: its slot is free, but no claim is made during the backoff.
    release.resolve();
    await until(async () => (await store.stats()).completed === 1);
    await turns(50);
    expect(claimsOf.claims).toBe(before + 1);
    // Another instance's enqueue arrives as a store event: the store answers, the loop claims.
    claimsOf.failing = false;
    await producer.enqueue({ name: "j" });
    await until(() => ran.length === 1);
    // Again with this instance's own enqueue ending a backoff.
    await turns(50);
    claimsOf.failing = true;
    const mid = claimsOf.claims;
    await clock.advance("10s");
    await until(() => claimsOf.claims === mid + 1);
    claimsOf.failing = false;
    await s.enqueue({ name: "j", delay: "1h" });
    await producer.enqueue({ name: "j" });
    await until(() => ran.length === 2);
    expect(logger.lines.filter((l) => l.includes("claiming jobs failed"))).toHaveLength(2);
    await s.stop();
  });

  for (const write of ["retryJob", "retryJobs", "promoteJob", "resumeQueue", "configureQueue"] as const) {
    it(`${write} that goes through ends it, on a store that pushes no events`, async () => {
      const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
      const store = new MemoryStore();
      // No store events: only this instance's own write can tell that the store answers.
      Object.assign(store, { subscribe: undefined });
      const s = createScheduler({
        clock,
        store,
        logger: recordingLogger(),
        pollInterval: "10s",
        retry: { maxAttempts: 1 },
      });
      const claimsOf = switchableClaims(store);
      const ran: string[] = [];
      s.register("j", (job) => {
        ran.push(job.id);
        if (ran.length === 1 && (write === "retryJob" || write === "retryJobs")) throw new Error("dies");
      });
      const release = deferred();
      s.register("long", () => release.promise);
      await s.start();
      // The job to make claimable, waiting for the write.
      let id: string;
      if (write === "retryJob" || write === "retryJobs") {
        id = (await s.enqueue({ name: "j" })).id;
        await until(async () => (await store.getJob(id))?.status === "dead");
      } else if (write === "promoteJob") {
        id = (await s.enqueue({ name: "j", delay: "1h" })).id;
      } else if (write === "resumeQueue") {
        await s.pauseQueue("q");
        id = (await s.enqueue({ name: "j", queue: "q" })).id;
      } else {
        // One job of the queue runs and holds its only slot; the next waits for the limit to rise.
        await s.configureQueue("q", { concurrency: 1 });
        await s.enqueue({ name: "long", queue: "q" });
        await until(async () => (await store.stats()).running === 1);
        id = (await s.enqueue({ name: "j", queue: "q" })).id;
      }
      await turns(50);
      // The poll's claim fails: a backoff begins, and the clock stands still.
      claimsOf.failing = true;
      const before = claimsOf.claims;
      await clock.advance("10s");
      await until(() => claimsOf.claims === before + 1);
      await turns();
      claimsOf.failing = false;
      if (write === "retryJob") await s.retryJob(id);
      else if (write === "retryJobs") expect(await s.retryJobs({ status: "dead" })).toBe(1);
      else if (write === "promoteJob") await s.promoteJob(id);
      else if (write === "resumeQueue") await s.resumeQueue("q");
      else await s.configureQueue("q", { concurrency: 2 });
      // Started at once, the clock still standing (a retried job runs a second time).
      const runs = write === "retryJob" || write === "retryJobs" ? 2 : 1;
      await until(() => ran.filter((ranId) => ranId === id).length === runs, 2000);
      await until(async () => (await store.getJob(id))?.status === "completed");
      release.resolve();
      await s.stop();
    });
  }

  it("starts the jobs the first parts of a claim leased when a later part fails", async () => {
    const { s, clock, store } = setup({
      pollInterval: "1h",
      workers: 5,
      queues: { capped: { concurrency: 2 }, other: {} },
    });
    const original = store.claimDueJobs.bind(store);
    let calls = 0;
    store.claimDueJobs = async (options) => {
      calls++;
      // The second part of the first claim fails.
      if (calls === 2) throw new Error("connection reset");
      return original(options);
    };
    const ran: number[] = [];
    s.register("j", (job) => {
      ran.push((job.payload as { i: number }).i);
    });
    const producer = createScheduler({ store, clock });
    await producer.enqueue({ name: "j", queue: "capped", payload: { i: 1 } });
    await producer.enqueue({ name: "j", queue: "other", payload: { i: 2 } });
    await s.start();
    await until(() => ran.includes(1));
    await clock.advance(100);
    await until(() => ran.includes(2));
    expect(ran.sort()).toEqual([1, 2]);
    const jobs = (await store.listJobs({})).jobs;
    expect(jobs.map((job) => [job.status, job.attempt, job.lostLeases])).toEqual([
      ["completed", 1, 0],
      ["completed", 1, 0],
    ]);
    await s.stop();
  });

  it("a scheduler stopped during a backoff claims at once when started again", async () => {
    const { s, store, clock } = setup({ pollInterval: "1h" });
    const original = store.claimDueJobs.bind(store);
    let failures = 1;
    store.claimDueJobs = async (options) => {
      if (failures-- > 0) throw new Error("connection reset");
      return original(options);
    };
    const ran: string[] = [];
    s.register("j", () => {
      ran.push("j");
    });
    await s.start();
    await until(() => failures === 0);
    await turns();
    await s.stop();
    // Enqueued by a scheduler that does not run jobs: only a claim of the restarted loop starts it.
    await createScheduler({ store, clock }).enqueue({ name: "j" });
    await s.start();
    await until(() => ran.length === 1);
    await s.stop();
  });
});

describe("stop with a store that is down", () => {
  it("does not hang on acknowledgements the store will not take", async () => {
    const store = new MemoryStore();
    const logger = recordingLogger();
    const s = createScheduler({ store, logger });
    store.completeJobs = async () => {
      throw new Error("connection refused");
    };
    const ran: string[] = [];
    s.register("j", () => {
      ran.push("j");
    });
    await s.start();
    await s.enqueue({ name: "j" });
    await until(() => ran.length === 1);
    await s.stop();
    expect(logger.lines.some((l) => l.includes("dropping 1 acknowledgement(s)"))).toBe(true);
  });
});

/**
 * What another instance whose clock reads `nowMs` (epoch ms) does to a job whose lease it sees
 * expired: recovers it and claims it as worker "other". Returns the job it took.
 */
async function takeOver(store: MemoryStore, nowMs: number) {
  const now = new Date(nowMs);
  await store.recoverExpiredLeases({ now, limit: 10, maxLostLeases: 3, error: "lost", deadLetter: null });
  const [taken] = await store.claimDueJobs({
    queues: null,
    names: null,
    limit: 1,
    now,
    lockedUntil: new Date(nowMs + 30_000),
    workerId: "other",
  });
  return taken;
}
