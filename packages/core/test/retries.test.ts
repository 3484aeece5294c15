import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../src/jobs/job.js";
import { permanent, retry, retryAfter } from "../src/retry/retry.js";
import type { Scheduler } from "../src/scheduler.js";
import { setup, turns, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

describe("retry policy", () => {
  it("grows delays exponentially from initialDelay, capped at maxDelay", () => {
    const p = retry({ initialDelay: "1s", multiplier: 2, maxDelay: "5s", jitter: 0 });
    expect([1, 2, 3, 4, 5].map((a) => p.delayFor(a))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("jitters within the configured fraction", () => {
    const p = retry({ initialDelay: 1000, jitter: 0.2 });
    expect(p.delayFor(1, () => 0)).toBe(900);
    expect(p.delayFor(1, () => 0.999999)).toBe(1100);
  });

  it("gives a number of 0 ms or more for every attempt, whatever the settings", () => {
    // 0 × Infinity is NaN: with initialDelay 0 and a power past a double's range, a job was
    // parked until the year 9999.
    expect(retry({ initialDelay: 0, multiplier: 1e308 }).delayFor(3)).toBe(0);
    expect(retry({ initialDelay: 0, multiplier: 3, maxAttempts: 1001 }).delayFor(648)).toBe(0);
    const huge = retry({ initialDelay: 1, multiplier: 1e308, maxDelay: "1h", jitter: 0 });
    expect(huge.delayFor(1000)).toBe(3_600_000);
    for (const r of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
      const delay = retry({ initialDelay: 1000, jitter: 0.2 }).delayFor(1, () => r);
      expect(delay, String(r)).toBe(1000);
    }
  });

  it("rejects bad settings naming the field", () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/retry.maxAttempts/);
    expect(() => retry({ multiplier: 0.5 })).toThrow(/retry.multiplier/);
    expect(() => retry({ jitter: 2 })).toThrow(/retry.jitter/);
    expect(() => retry({ initialDelay: "soon" as never })).toThrow(/retry.initialDelay/);
  });
});

describe("failures", () => {
  it("retries a failing job with backoff and then makes it dead, calling the dead-letter handler", async () => {
    const events: string[] = [];
    const { s, clock } = setup({
      retry: { initialDelay: "1s", multiplier: 2, maxAttempts: 3 },
      hooks: [
        {
          onRetry: (job, attempt, err) => events.push(`retry ${job.name} attempt=${attempt} ${err.message}`),
          onDead: (job, err) => events.push(`dead ${job.name} ${err.message}`),
        },
      ],
    });
    current = s;
    const runs: number[] = [];
    s.register("flaky", () => {
      runs.push(clock.now());
      throw new Error("boom");
    });
    const dead: Job[] = [];
    s.register("dead", (job) => {
      dead.push(job);
    });
    await s.start();
    const t0 = clock.now();
    const job = await s.enqueue({ name: "flaky" });
    await until(() => runs.length === 1);
    await clock.advance("1s");
    await until(() => runs.length === 2);
    await clock.advance("2s");
    await until(() => dead.length === 1);
    expect(runs).toEqual([t0, t0 + 1000, t0 + 3000]);
    expect(events).toEqual(["retry flaky attempt=1 boom", "retry flaky attempt=2 boom", "dead flaky boom"]);
    const stored = await s.getJob(job.id);
    expect(stored?.status).toBe("dead");
    expect(stored?.error).toBe("boom");
    expect(stored?.history.map((h) => h.attempt)).toEqual([1, 2, 3]);
    expect(dead[0]?.id).toBe(job.id);
  });

  it("a job with maxRetries n runs n + 1 times", async () => {
    const { s, clock } = setup({ retry: { initialDelay: 10 } });
    current = s;
    let runs = 0;
    s.register("f", () => {
      runs++;
      throw new Error("x");
    });
    await s.start();
    const job = await s.enqueue({ name: "f", maxRetries: 4 });
    for (let i = 0; i < 6; i++) await clock.advance("1m");
    await until(async () => (await s.getJob(job.id))?.status === "dead");
    expect(runs).toBe(5);
  });

  it("a retry policy or a random that throws, or a policy's NaN delay, still records the failure", async () => {
    // A `random` that threw was an unhandled rejection: the failure was never recorded, and the
    // job came back only when its lease expired, as a lost lease.
    const policies = [
      { random: () => 0.5, retry: { ...retry(), delayFor: () => Number.NaN } },
      // A finite delay past the policy's maxDelay is cut to it (1e300 was the year 9999).
      { random: () => 0.5, retry: { ...retry({ maxDelay: "1s" }), delayFor: () => 1e300 } },
      {
        random: () => 0.5,
        retry: {
          ...retry(),
          delayFor: () => {
            throw new Error("policy down");
          },
        },
      },
      {
        random: () => {
          throw new Error("rng down");
        },
        retry: retry({ initialDelay: 10 }),
      },
    ];
    for (const [i, options] of policies.entries()) {
      const { s, clock, logger } = setup(options);
      current = s;
      let runs = 0;
      s.register("f", () => {
        runs++;
        throw new Error("handler failed");
      });
      await s.start();
      const job = await s.enqueue({ name: "f", maxRetries: 1 });
      await until(async () => (await s.getJob(job.id))?.status === "failed");
      const failed = await s.getJob(job.id);
      expect(failed).toMatchObject({ retryCount: 1, lostLeases: 0, error: "handler failed" });
      // The default backoff's first delay (1 s, no jitter), never the year 9999.
      expect(failed!.scheduledAt.getTime() - clock.now()).toBeLessThanOrEqual(1000);
      await clock.advance("2s");
      await until(async () => (await s.getJob(job.id))?.status === "dead");
      expect(runs).toBe(2);
      if (i === 0 || i === 2) {
        expect(logger.lines.some((line) => line.includes("retrying after the default backoff"))).toBe(true);
      }
      await s.stop({ timeout: 0 });
      current = null;
    }
  });

  it("retryAfter sets the next delay", async () => {
    const { s, clock } = setup();
    current = s;
    const runs: number[] = [];
    s.register("rate", () => {
      runs.push(clock.now());
      if (runs.length === 1) throw retryAfter(new Error("429"), "42s");
    });
    await s.start();
    const t0 = clock.now();
    const job = await s.enqueue({ name: "rate" });
    await until(() => runs.length === 1);
    await until(async () => (await s.getJob(job.id))?.status === "failed");
    expect((await s.getJob(job.id))?.scheduledAt.getTime()).toBe(t0 + 42_000);
    await clock.advance("42s");
    await until(() => runs.length === 2);
    expect(runs[1]).toBe(t0 + 42_000);
  });

  it("a dead-letter job is reported to onEnqueue, as any job the scheduler enqueues", async () => {
    const enqueued: string[] = [];
    const { s, store } = setup({ hooks: [{ onEnqueue: (job) => enqueued.push(`${job.name} ${job.id}`) }] });
    current = s;
    s.register("p", () => {
      throw permanent(new Error("no such user"));
    });
    const letters: string[] = [];
    s.register("dead", (job) => {
      letters.push(job.id);
    });
    await s.start();
    const job = await s.enqueue({ name: "p" });
    await until(() => letters.length === 1);
    expect(enqueued).toEqual([`p ${job.id}`, `dead ${job.id}:dead:1`]);
    expect((await store.getJob(`${job.id}:dead:1`))?.name).toBe("dead");
  });

  it("permanent errors skip retries and go to the dead-letter queue", async () => {
    const { s } = setup();
    current = s;
    let runs = 0;
    const dead: string[] = [];
    s.register("p", () => {
      runs++;
      throw permanent(new Error("no such user"));
    });
    s.register("dead", (job) => {
      dead.push(job.error ?? "");
    });
    await s.start();
    await s.enqueue({ name: "p", maxRetries: 5 });
    await until(() => dead.length === 1);
    expect(runs).toBe(1);
    expect(dead).toEqual(["no such user"]);
  });

  it("a handler that throws a non-Error is retried like any failure, without breaking the loop", async () => {
    const { s } = setup();
    current = s;
    s.register("weird", () => {
      throw { not: "an error" };
    });
    s.register("str", async () => {
      throw "a string";
    });
    const ok: string[] = [];
    s.register("ok", () => {
      ok.push("ok");
    });
    await s.start();
    const a = await s.enqueue({ name: "weird", maxRetries: 0 });
    const b = await s.enqueue({ name: "str", maxRetries: 0 });
    await s.enqueue({ name: "ok" });
    await until(
      async () => (await s.getJob(b.id))?.status === "dead" && (await s.getJob(a.id))?.status === "dead",
    );
    await until(() => ok.length === 1);
    expect((await s.getJob(a.id))?.error).toContain('{"not":"an error"}');
    expect((await s.getJob(b.id))?.error).toBe("a string");
  });

  it("a timed-out handler that never settles is aborted, fails, and frees its slot", async () => {
    const { s, clock } = setup({ workers: 1 });
    current = s;
    let abortReason: unknown = null;
    s.register("hang", (_job, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        abortReason = ctx.signal.reason;
      });
      return new Promise<void>(() => {});
    });
    const ok: string[] = [];
    s.register("ok", () => {
      ok.push("ran");
    });
    await s.start();
    const hung = await s.enqueue({ name: "hang", timeout: "5s", maxRetries: 0 });
    await s.enqueue({ name: "ok" });
    await until(async () => (await s.getJob(hung.id))?.status === "running");
    await clock.advance("5s");
    await until(() => ok.length === 1);
    expect((abortReason as Error).name).toBe("JobTimeoutError");
    const stored = await s.getJob(hung.id);
    expect(stored?.status).toBe("dead");
    expect(stored?.error).toMatch(/timed out after 5000ms/);
  });

  it("warns of a handler that returns long after its timeout (it ignored ctx.signal), not of one that stops on it", async () => {
    const { s, clock, logger } = setup({ workers: 2 });
    current = s;
    let finishLate: () => void = () => {};
    s.register("deaf", () => new Promise<void>((resolve) => (finishLate = resolve)));
    s.register(
      "polite",
      (_job, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
    );
    await s.start();
    const deaf = await s.enqueue({ name: "deaf", timeout: "5s", maxRetries: 0 });
    const polite = await s.enqueue({ name: "polite", timeout: "5s", maxRetries: 0 });
    await until(async () => (await s.getJob(deaf.id))?.status === "running");
    await until(async () => (await s.getJob(polite.id))?.status === "running");
    await clock.advance("5s");
    await until(async () => (await s.getJob(deaf.id))?.status === "dead");
    await until(async () => (await s.getJob(polite.id))?.status === "dead");
    await clock.advance("30s");
    finishLate();
    await turns(20);
    const warned = logger.lines.filter((line) => line.includes("ignored ctx.signal"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(`"jobId":"${deaf.id}"`);
    expect(warned[0]).toContain('"abortedBy":"JOB_TIMEOUT"');
    expect(warned[0]).toContain('"msAfterAbort":30000');
  });

  it("a job whose name has no handler here waits, with one warning per name, and runs once one is registered", async () => {
    const { s, clock, logger } = setup();
    current = s;
    s.register("known", () => {});
    await s.start();
    const first = await s.enqueue({ name: "nobody", maxRetries: 0 });
    const second = await s.enqueue({ name: "nobody", maxRetries: 0 });
    for (let i = 0; i < 6; i++) await clock.advance("10s");
    await until(() => logger.lines.some((line) => line.includes('job name "nobody"')));
    await turns();
    expect((await s.getJob(first.id))?.status).toBe("pending");
    expect(await s.getJob(second.id)).toMatchObject({ status: "pending", attempt: 0, retryCount: 0 });
    expect(logger.lines.filter((line) => line.includes('job name "nobody"'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.startsWith("warn"))).toHaveLength(1);
    // A rolling deploy brings the handler: the waiting jobs run.
    const ran: string[] = [];
    s.register("nobody", (job) => {
      ran.push(job.id);
    });
    await until(() => ran.length === 2);
    expect(ran.sort()).toEqual([first.id, second.id].sort());
  });

  it("with the dead-letter queue disabled, no dead-letter handler is called", async () => {
    const { s } = setup({ deadLetter: { enabled: false } });
    current = s;
    const dead: string[] = [];
    s.register("dead", (job) => {
      dead.push(job.id);
    });
    s.register("f", () => {
      throw new Error("x");
    });
    await s.start();
    const job = await s.enqueue({ name: "f", maxRetries: 0 });
    await until(async () => (await s.getJob(job.id))?.status === "dead");
    await turns();
    expect(dead).toEqual([]);
  });

  it("a throwing dead-letter handler is retried like any job, then dead without a dead letter of its own", async () => {
    const { s, logger, store } = setup({
      hooks: [
        {
          afterJob: () => {
            throw new Error("hook broke");
          },
        },
      ],
    });
    current = s;
    const calls: string[] = [];
    s.register(
      "dead",
      (job) => {
        calls.push(job.id);
        throw new Error("dlq broke");
      },
      { maxRetries: 1, retry: { initialDelay: 0, jitter: 0 } },
    );
    s.register("f", () => {
      throw new Error("x");
    });
    await s.start();
    const job = await s.enqueue({ name: "f", maxRetries: 0 });
    await until(async () => (await store.listJobs({ name: "dead", status: "dead" })).jobs.length === 1);
    expect((await s.getJob(job.id))?.status).toBe("dead");
    // The handler received the dead job, twice (a first attempt and one retry).
    expect(calls).toEqual([job.id, job.id]);
    const [letter] = (await store.listJobs({ name: "dead" })).jobs;
    expect(letter).toMatchObject({
      id: `${job.id}:dead:1`,
      queue: job.queue,
      retryCount: 1,
      error: "dlq broke",
    });
    expect(letter?.metadata).toEqual({ "sched.deadLetter": job.id });
    // No dead letter for the dead letter.
    expect((await store.listJobs({})).jobs).toHaveLength(2);
    expect(logger.lines.some((l) => l.includes("hook afterJob threw"))).toBe(true);
  });
});

describe("jitter at the cap", () => {
  it("delays that reached maxDelay still spread, and none passes it", () => {
    const p = retry({ initialDelay: "1s", multiplier: 2, maxDelay: "10s", jitter: 0.2 });
    const at = (r: number) => p.delayFor(20, () => r);
    expect(at(0.999_999)).toBeLessThanOrEqual(10_000);
    expect(at(0.999_999)).toBeGreaterThan(9_990);
    expect(at(0)).toBe(Math.round((10_000 / 1.1) * 0.9));
    expect(new Set([0, 0.25, 0.5, 0.75].map(at)).size).toBe(4);
    // Below the cap, the jitter is ±10% of the delay as before.
    expect(p.delayFor(1, () => 0)).toBe(900);
    expect(p.delayFor(1, () => 0.5)).toBe(1_000);
  });
});
