import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, InvalidArgumentError } from "../src/errors.js";
import { RateLimitedError, rateLimited } from "../src/retry/retry.js";
import type { Scheduler } from "../src/scheduler.js";
import { BLOCKED_RETRY_MS } from "../src/worker/job-claimer.js";
import { deferred, setup, turns, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

describe("pauseQueue and resumeQueue", () => {
  it("a paused queue runs nothing while other queues run; resume runs its jobs", async () => {
    const { s } = setup();
    current = s;
    const ran: string[] = [];
    s.register("j", (job) => {
      ran.push(job.queue);
    });
    const paused = await s.pauseQueue("emails");
    expect(paused).toMatchObject({ name: "emails", paused: true });
    await s.enqueue({ name: "j", queue: "emails" });
    await s.enqueue({ name: "j", queue: "reports" });
    await s.start();
    await until(() => ran.length === 1);
    await turns(50);
    expect(ran).toEqual(["reports"]);
    expect((await s.getQueue("emails")).counts.pending).toBe(1);
    const resumed = await s.resumeQueue("emails");
    expect(resumed.paused).toBe(false);
    await until(() => ran.length === 2);
    expect(ran).toEqual(["reports", "emails"]);
  });

  it("a job running when its queue is paused finishes", async () => {
    const { s } = setup();
    current = s;
    const gate = deferred();
    s.register("slow", async () => {
      await gate.promise;
    });
    await s.start();
    const job = await s.enqueue({ name: "slow" });
    await until(async () => (await s.getJob(job.id))?.status === "running");
    await s.pauseQueue("default");
    gate.resolve();
    await until(async () => (await s.getJob(job.id))?.status === "completed");
  });

  it("refuses a bad queue name", async () => {
    const { s } = setup();
    await expect(s.pauseQueue("" as string)).rejects.toThrow(InvalidArgumentError);
    await expect(s.resumeQueue(42 as unknown as string)).rejects.toThrow(InvalidArgumentError);
  });
});

describe("configureQueue and listQueues", () => {
  it("stores limits with durations in ms, keeps what a later call leaves out, and null removes", async () => {
    const { s } = setup();
    const first = await s.configureQueue("emails", {
      concurrency: 10,
      rateLimit: { max: 100, per: "1m" },
      group: { concurrency: 1, rateLimit: { max: 5, per: "1s" } },
    });
    expect(first).toMatchObject({
      name: "emails",
      paused: false,
      concurrency: 10,
      rateLimit: { max: 100, per: 60_000 },
      group: { concurrency: 1, rateLimit: { max: 5, per: 1_000 } },
      limitedUntil: null,
      localConcurrency: null,
    });
    const second = await s.configureQueue("emails", { concurrency: null });
    expect(second).toMatchObject({ concurrency: null, rateLimit: { max: 100, per: 60_000 } });
    const third = await s.configureQueue("emails", { group: { concurrency: 2 } });
    expect(third.group).toEqual({ concurrency: 2, rateLimit: { max: 5, per: 1_000 } });
    const fourth = await s.configureQueue("emails", { group: { rateLimit: null } });
    expect(fourth.group).toEqual({ concurrency: 2, rateLimit: null });
    const fifth = await s.configureQueue("emails", { group: { concurrency: null } });
    expect(fifth.group).toBeNull();
  });

  it("refuses bad limits, naming the field", async () => {
    const { s } = setup();
    const bad: [unknown, string][] = [
      [{ concurrency: 0 }, "concurrency"],
      [{ concurrency: 1.5 }, "concurrency"],
      [{ rateLimit: { max: 0, per: "1s" } }, "rateLimit.max"],
      [{ rateLimit: { max: 5, per: "0s" } }, "rateLimit.per"],
      [{ rateLimit: { max: 5, per: "soon" } }, "rateLimit.per"],
      [{ rateLimit: { max: 5 } }, "rateLimit.per"],
      [{ group: { concurrency: -1 } }, "group.concurrency"],
      [{ group: { size: 1 } }, "group"],
      [{ speed: 1 }, "config"],
      [null, "config"],
    ];
    for (const [config, field] of bad) {
      const err = await s.configureQueue("q", config as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(config)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).message, JSON.stringify(config)).toContain(field);
    }
    expect(await s.listQueues()).toEqual([]);
  });

  it("lists configured queues, queues with jobs and this instance's queues, with counts", async () => {
    const { s } = setup({ queues: { emails: { concurrency: 2 }, reports: {} } });
    await s.configureQueue("billing", { concurrency: 3 });
    await s.enqueue({ name: "j", queue: "emails" });
    await s.enqueue({ name: "j", queue: "emails", delay: "1h" });
    const queues = await s.listQueues();
    expect(queues.map((queue) => queue.name)).toEqual(["billing", "emails", "reports"]);
    expect(queues[0]).toMatchObject({ concurrency: 3, localConcurrency: null });
    expect(queues[1]).toMatchObject({
      localConcurrency: 2,
      counts: { pending: 1, scheduled: 1, running: 0 },
    });
    expect(queues[2]?.counts.pending).toBe(0);
  });

  it("queues named like Object.prototype's members have their own counts and pollute nothing", async () => {
    const { s } = setup({ queues: { toString: {}, valueOf: { concurrency: 1 } } });
    await s.enqueue({ name: "j", queue: "__proto__" });
    await s.enqueue({ name: "j", queue: "__proto__", delay: "1h" });
    await s.configureQueue("constructor", { concurrency: 2 });
    const queues = await s.listQueues();
    expect(queues.map((queue) => queue.name)).toEqual(["__proto__", "constructor", "toString", "valueOf"]);
    expect(queues[0]?.counts).toMatchObject({ pending: 1, scheduled: 1, running: 0 });
    // No jobs: zero counts, not what a plain object inherits under these names.
    for (const queue of queues.slice(1)) {
      expect(queue.counts, queue.name).toEqual({
        pending: 0,
        running: 0,
        completed: 0,
        failed: 0,
        dead: 0,
        scheduled: 0,
        cancelled: 0,
      });
    }
    expect(queues[1]).toMatchObject({ concurrency: 2, localConcurrency: null });
    expect(queues[2]).toMatchObject({ localConcurrency: null });
    expect(queues[3]).toMatchObject({ localConcurrency: 1 });
    expect((await s.getQueue("hasOwnProperty")).counts.pending).toBe(0);
    expect((await s.getQueue("__proto__")).counts.pending).toBe(1);
    const stats = await s.stats();
    expect(Object.keys(stats.byQueue ?? {})).toEqual(["__proto__"]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).pending).toBeUndefined();
  });
});

describe("per-instance queue concurrency", () => {
  it("caps the jobs of one queue running here, while other queues use the remaining workers", async () => {
    const { s } = setup({ workers: 6, queues: { emails: { concurrency: 2 }, reports: {} } });
    current = s;
    const gate = deferred();
    const running = { emails: 0, reports: 0 };
    const peak = { emails: 0, reports: 0 };
    s.register("j", async (job) => {
      const queue = job.queue as "emails" | "reports";
      running[queue]++;
      peak[queue] = Math.max(peak[queue], running[queue]);
      await gate.promise;
      running[queue]--;
    });
    for (let i = 0; i < 5; i++) await s.enqueue({ name: "j", queue: "emails" });
    for (let i = 0; i < 5; i++) await s.enqueue({ name: "j", queue: "reports" });
    await s.start();
    await until(() => running.emails + running.reports === 6);
    await turns(50);
    expect(running).toEqual({ emails: 2, reports: 4 });
    gate.resolve();
    await until(async () => (await s.stats()).completed === 10);
    expect(peak.emails).toBe(2);
  });

  it("a capped queue with a backlog does not hold back a higher-priority job of another queue", async () => {
    for (const prefetch of [0, 4]) {
      const { s } = setup({ workers: 2, prefetch, queues: { bulk: { concurrency: 2 }, urgent: {} } });
      current = s;
      const started: string[] = [];
      s.register("j", async (job) => {
        started.push(job.queue);
        await new Promise((resolve) => setTimeout(resolve, 1));
      });
      await s.enqueueMany(Array.from({ length: 40 }, () => ({ name: "j", queue: "bulk" })));
      await s.enqueue({ name: "j", queue: "urgent", priority: 10 });
      await s.start();
      await until(async () => (await s.stats()).completed === 41);
      // Among the first two started (one claim's worth of workers), not after the 40 others.
      expect(started.slice(0, 2), `prefetch ${prefetch}`).toContain("urgent");
      await s.stop({ timeout: 0 });
      current = null;
    }
  });

  it("refuses a bad per-queue concurrency or an unknown queue option", () => {
    expect(() => setup({ queues: { emails: { concurrency: 0 } } })).toThrow(ConfigError);
    expect(() => setup({ queues: { emails: { limit: 1 } as never } })).toThrow(/queues\.emails\.limit/);
    expect(() => setup({ queues: "emails" as never })).toThrow(ConfigError);
  });
});

describe("global limits through the runtime", () => {
  it("a queue's concurrency holds across two schedulers sharing the store", async () => {
    const a = setup({ workers: 5 });
    const b = setup({ workers: 5, store: a.store, clock: a.clock });
    current = a.s;
    let running = 0;
    let peak = 0;
    const gate = deferred();
    const handler = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
    };
    a.s.register("j", handler);
    b.s.register("j", handler);
    await a.s.configureQueue("default", { concurrency: 3 });
    for (let i = 0; i < 10; i++) await a.s.enqueue({ name: "j" });
    await a.s.start();
    await b.s.start();
    try {
      await until(() => running === 3);
      await turns(50);
      expect(running).toBe(3);
      gate.resolve();
      await until(async () => (await a.s.stats()).completed === 10);
      expect(peak).toBe(3);
    } finally {
      await b.s.stop({ timeout: 0 });
    }
  });

  it("a rate-limited queue runs max jobs per window and the rest in later windows", async () => {
    const { s, clock } = setup({ workers: 10 });
    current = s;
    const started: number[] = [];
    s.register("j", () => {
      started.push(clock.now());
    });
    await s.configureQueue("default", { rateLimit: { max: 2, per: "1s" } });
    for (let i = 0; i < 5; i++) await s.enqueue({ name: "j" });
    await s.start();
    await until(() => started.length === 2);
    await turns(50);
    expect(started).toHaveLength(2);
    await clock.advance(1_000);
    await until(() => started.length === 4);
    await clock.advance(1_000);
    await until(() => started.length === 5);
    const windows = started.map((ms) => Math.floor(ms / 1_000));
    expect(new Set(windows).size).toBe(3);
  });
});

describe("rateLimited", () => {
  it("builds a RateLimitedError with the delay in ms and the scope", () => {
    const err = rateLimited("30s");
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ code: "RATE_LIMITED", delayMs: 30_000, scope: "group" });
    expect(rateLimited(500, { scope: "queue" }).scope).toBe("queue");
    expect(() => rateLimited("later" as never)).toThrow(InvalidArgumentError);
    expect(() => rateLimited(0)).toThrow(/delay/);
    expect(() => rateLimited(-5)).toThrow(/delay/);
    expect(() => rateLimited(2 ** 53)).toThrow(/delay/);
    expect(rateLimited("24d").delayMs).toBe(24 * 86_400_000);
    expect(() => rateLimited("1s", { scope: "tenant" as never })).toThrow(InvalidArgumentError);
    expect(() => rateLimited("1s", { within: 1 } as never)).toThrow(InvalidArgumentError);
  });

  it("a handler's rateLimited pushes back the job's group without using a retry", async () => {
    const { s, clock } = setup();
    current = s;
    const runs: string[] = [];
    let limitedOnce = false;
    s.register("call", (job) => {
      runs.push(`${job.group}@${clock.now()}`);
      if (job.group === "slow" && !limitedOnce) {
        limitedOnce = true;
        throw rateLimited("10s");
      }
    });
    const t0 = clock.now();
    const slow = await s.enqueue({ name: "call", group: "slow", maxRetries: 0 });
    await s.start();
    await until(async () => (await s.getJob(slow.id))?.status === "scheduled");
    const waiting = await s.getJob(slow.id);
    expect(waiting).toMatchObject({ retryCount: 0, scheduledAt: new Date(t0 + 10_000) });
    const fast = await s.enqueue({ name: "call", group: "fast" });
    await until(async () => (await s.getJob(fast.id))?.status === "completed");
    await clock.advance(10_000);
    await until(async () => (await s.getJob(slow.id))?.status === "completed");
    expect(runs).toEqual([`slow@${t0}`, `fast@${t0}`, `slow@${t0 + 10_000}`]);
  });

  it("with scope queue, the whole queue waits", async () => {
    const { s, clock } = setup();
    current = s;
    let first = true;
    const done: number[] = [];
    s.register("call", () => {
      if (first) {
        first = false;
        throw rateLimited("5s", { scope: "queue" });
      }
      done.push(clock.now());
    });
    const t0 = clock.now();
    await s.enqueue({ name: "call", group: "a" });
    await s.start();
    await until(async () => (await s.getQueue("default")).limitedUntil !== null);
    await s.enqueue({ name: "call", group: "b" });
    await turns(50);
    expect(done).toEqual([]);
    await clock.advance(5_000 + BLOCKED_RETRY_MS);
    await until(() => done.length === 2);
  });
});

describe("resumeQueue lifts push-backs", () => {
  it("a queue pushed back for an hour runs again at once after resumeQueue; a past push-back shows as null", async () => {
    const { s, clock } = setup();
    current = s;
    let calls = 0;
    s.register("call", () => {
      calls++;
      if (calls === 1) throw rateLimited("1h", { scope: "queue" });
    });
    await s.enqueue({ name: "call" });
    await s.start();
    await until(async () => (await s.getQueue("default")).limitedUntil !== null);
    await s.enqueue({ name: "call" });
    await turns(50);
    expect(calls).toBe(1);
    const resumed = await s.resumeQueue("default");
    expect(resumed.limitedUntil).toBeNull();
    await until(() => calls === 2);
    await clock.advance("2h");
    await until(() => calls === 3);
    expect((await s.getQueue("default")).limitedUntil).toBeNull();
  });
});

describe("enqueue with group and dedupe", () => {
  it("checks the group key", async () => {
    const { s } = setup();
    await expect(s.enqueue({ name: "j", group: "" })).rejects.toThrow(/job\.group/);
    await expect(s.enqueue({ name: "j", group: 7 as never })).rejects.toThrow(InvalidArgumentError);
    expect((await s.enqueue({ name: "j", group: "tenant-1" })).group).toBe("tenant-1");
  });

  it("throttle returns the window's job for a second enqueue within ttl", async () => {
    const { s, clock } = setup();
    const first = await s.enqueue({ name: "reindex", payload: 1, dedupe: { key: "user:42", ttl: "10s" } });
    const second = await s.enqueue({ name: "reindex", payload: 2, dedupe: { key: "user:42", ttl: "10s" } });
    expect(second.id).toBe(first.id);
    expect(second.payload).toBe(1);
    await clock.advance(10_000);
    const third = await s.enqueue({ name: "reindex", payload: 3, dedupe: { key: "user:42", ttl: "10s" } });
    expect(third.id).not.toBe(first.id);
    expect((await s.listJobs({ name: "reindex" })).jobs.length).toBe(2);
  });

  it("debounce runs once, ttl after the latest enqueue, with the latest payload, within maxWait", async () => {
    const { s, clock } = setup();
    current = s;
    const seen: unknown[] = [];
    s.register("reindex", (job) => {
      seen.push([job.payload, clock.now()]);
    });
    await s.start();
    const t0 = clock.now();
    const dedupe = { key: "doc", ttl: "5s", mode: "debounce", maxWait: "8s" } as const;
    const first = await s.enqueue({ name: "reindex", payload: "a", dedupe });
    expect(first.scheduledAt).toEqual(new Date(t0 + 5_000));
    await clock.advance(4_000);
    const second = await s.enqueue({ name: "reindex", payload: "b", dedupe });
    expect(second.id).toBe(first.id);
    expect(second.scheduledAt).toEqual(new Date(t0 + 8_000));
    await clock.advance(4_000);
    await until(() => seen.length === 1);
    expect(seen).toEqual([["b", t0 + 8_000]]);
  });

  it("keeps a window per job name: a debounce never folds one name's payload into another's job", async () => {
    const { s, clock } = setup();
    current = s;
    const seen: string[] = [];
    s.register("charge", (job) => {
      seen.push(`charge ${JSON.stringify(job.payload)}`);
    });
    s.register("refund", (job) => {
      seen.push(`refund ${JSON.stringify(job.payload)}`);
    });
    await s.start();
    const dedupe = { key: "user:42", ttl: "5s", mode: "debounce" } as const;
    const charge = await s.enqueue({ name: "charge", payload: { cents: 100 }, dedupe });
    const refund = await s.enqueue({ name: "refund", payload: { refundCents: 500 }, group: "vip", dedupe });
    expect(refund.id).not.toBe(charge.id);
    expect(refund).toMatchObject({ name: "refund", group: "vip", payload: { refundCents: 500 } });
    // Within one name the window still folds.
    const again = await s.enqueue({ name: "charge", payload: { cents: 200 }, dedupe });
    expect(again.id).toBe(charge.id);
    await clock.advance(5_000);
    await until(() => seen.length === 2);
    expect(seen.sort()).toEqual(['charge {"cents":200}', 'refund {"refundCents":500}']);
  });

  it("keeps a throttle window per job name, and apart from a debounce window of the same key", async () => {
    const { s } = setup();
    const throttle = { key: "user:42", ttl: "10s" } as const;
    const sync = await s.enqueue({ name: "sync", payload: 1, dedupe: throttle });
    const mail = await s.enqueue({ name: "mail", payload: 2, dedupe: throttle });
    expect(mail.id).not.toBe(sync.id);
    expect((await s.enqueue({ name: "sync", payload: 3, dedupe: throttle })).id).toBe(sync.id);
    // A debounce of the same name and key does not take over the throttle's job.
    const debounced = await s.enqueue({
      name: "sync",
      payload: 4,
      dedupe: { key: "user:42", ttl: "10s", mode: "debounce" },
    });
    expect(debounced.id).not.toBe(sync.id);
    expect(await s.getJob(sync.id)).toMatchObject({ payload: 1, scheduledAt: sync.scheduledAt });
  });

  it("takes whole ms for windows alike, and names a refused string as written and as read", async () => {
    const { s } = setup();
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (err: Error) => err.message,
      );
    // A number of ms is kept as given (so 1.5 is refused); a string is read to the nearest ms.
    expect(await refusal(s.enqueue({ name: "j", dedupe: { key: "k", ttl: 1.5 } }))).toBe(
      "job.dedupe.ttl: expected a whole number of ms from 1 ms to about 24 days, got 1.5 ms",
    );
    expect(await refusal(s.configureQueue("q", { rateLimit: { max: 1, per: 1.5 } }))).toBe(
      "rateLimit.per: expected a whole number of ms from 1 ms to about 24 days, got 1.5 ms",
    );
    expect(await refusal(s.configureQueue("q", { rateLimit: { max: 1, per: "0.4ms" } }))).toBe(
      'rateLimit.per: expected a whole number of ms from 1 ms to about 24 days, got "0.4ms" (0 ms)',
    );
    expect(
      await refusal(
        s.enqueue({ name: "j", dedupe: { key: "k", ttl: "2s", mode: "debounce", maxWait: "1.5s" } }),
      ),
    ).toBe(
      'job.dedupe.maxWait: expected a whole number of ms from ttl to about 24 days, got "1.5s" (1500 ms)',
    );
    expect((await s.enqueue({ name: "j", dedupe: { key: "k", ttl: "1.5ms" } })).status).toBe("pending");
  });

  it("refuses a bad window, dedupe with uniqueKey, debounce with runAt, and dedupe in enqueueMany", async () => {
    const { s } = setup();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ dedupe: { key: "", ttl: "1s" } }, /dedupe\.key/],
      [{ dedupe: { key: "k", ttl: "0s" } }, /dedupe\.ttl/],
      [{ dedupe: { key: "k", ttl: 1e20 } }, /job\.dedupe\.ttl/],
      [{ dedupe: { key: "k", ttl: "1s", mode: "debounce", maxWait: 1e20 } }, /job\.dedupe\.maxWait/],
      [{ dedupe: { key: "k", ttl: "1s", mode: "drop" } }, /dedupe\.mode/],
      [{ dedupe: { key: "k", ttl: "1s", maxWait: "5s" } }, /dedupe\.maxWait/],
      [{ dedupe: { key: "k", ttl: "5s", mode: "debounce", maxWait: "1s" } }, /dedupe\.maxWait/],
      [{ dedupe: { key: "k", ttl: "1s", window: 1 } }, /dedupe/],
      [{ dedupe: { key: "k", ttl: "1s" }, uniqueKey: "k" }, /uniqueKey or dedupe/],
      [{ dedupe: { key: "k", ttl: "1s", mode: "debounce" }, delay: "1s" }, /runAt and delay/],
    ];
    for (const [fields, message] of cases) {
      const err = await s.enqueue({ name: "j", ...fields } as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(fields)).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(message);
    }
    await expect(s.enqueueMany([{ name: "j", dedupe: { key: "k", ttl: "1s" } }])).rejects.toThrow(
      /jobs\[0\]\.dedupe/,
    );
    expect((await s.listJobs()).jobs).toEqual([]);
  });

  it("refuses a debounce whose run time would pass the year 9999, naming dedupe.ttl", async () => {
    const { s, clock } = setup();
    clock.set(new Date("9999-12-31T23:59:59.000Z"));
    const err = await s
      .enqueue({ name: "j", dedupe: { key: "k", ttl: "5s", mode: "debounce" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err).toMatchObject({ field: "job.dedupe.ttl" });
    expect((await s.listJobs()).jobs).toEqual([]);
  });
});
