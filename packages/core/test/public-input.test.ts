import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config/env-config.js";
import { InvalidArgumentError } from "../src/errors.js";
import { typedHandler } from "../src/handlers/typed-handler.js";
import { MemoryLeader, MemoryStore } from "../src/memory/index.js";
import { chain } from "../src/middleware/chain.js";
import { logging } from "../src/middleware/logging.js";
import { metrics } from "../src/middleware/metrics.js";
import { recovery } from "../src/middleware/recovery.js";
import { retryAfter } from "../src/retry/retry.js";
import { createScheduler } from "../src/scheduler.js";
import { parseDuration } from "../src/time/duration.js";
import { recordingLogger, setup, until } from "./helpers.js";

describe("bad input to the public API is refused where it is given", () => {
  it("enqueue options: a misspelt transaction, or options that are no object", async () => {
    const { s } = setup();
    for (const options of [{ transacton: {} }, null, "x", []]) {
      await expect(s.enqueue({ name: "a" }, options as never)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(s.enqueueMany([{ name: "a" }], options as never)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(s.enqueueAt({ name: "a" }, new Date(), options as never)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    await expect(s.enqueue({ name: "a" }, { transacton: {} } as never)).rejects.toThrow(
      /options\.transacton/,
    );
    // enqueueAt without a Date would run the job now.
    await expect(s.enqueueAt({ name: "a" }, undefined as never)).rejects.toMatchObject({ field: "runAt" });
    expect((await s.listJobs()).jobs).toEqual([]);
  });

  it("an unknown time zone is quoted cut short and escaped in the message", async () => {
    const { s } = setup();
    const refused = await s
      .schedule("tz", "* * * * *", () => {}, { timezone: `Mars/${"x".repeat(5000)}\u0000` })
      .catch((err: Error) => err);
    expect((refused as Error).message.length).toBeLessThan(300);
    expect((refused as Error).message).not.toContain("\u0000");
  });

  it("the memory store and leader check their options' types", () => {
    expect(() => new MemoryStore({ removeOnComplete: "yes" } as never)).toThrow(/removeOnComplete/);
    expect(() => new MemoryLeader({ clock: {} } as never)).toThrow(/clock/);
    expect(() => new MemoryLeader({ group: {} } as never)).toThrow(/group/);
  });

  it("a filter's group of null is refused, not taken for every group", async () => {
    const { s } = setup();
    await expect(s.listJobs({ group: null } as never)).rejects.toMatchObject({ field: "group" });
    await expect(s.retryJobs({ group: null } as never)).rejects.toMatchObject({ field: "group" });
  });

  it("throughput() without options is an InvalidArgumentError, not a TypeError", async () => {
    const { s } = setup();
    await expect((s.throughput as (o?: unknown) => Promise<unknown>)()).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it("a job with both runAt and delay is refused: one would be ignored", async () => {
    const { s } = setup();
    await expect(
      s.enqueue({ name: "a", delay: "1h", runAt: new Date(Date.now() + 86_400_000) }),
    ).rejects.toThrow(/job\.delay: give runAt or delay, not both/);
    await expect(s.enqueueAt({ name: "a", delay: "1h" }, new Date())).rejects.toThrow(/not both/);
  });

  it("register: options out of the ranges a job takes, or null", () => {
    const { s } = setup();
    const fn = () => {};
    expect(() => s.register("a", fn, { maxRetries: 5000 })).toThrow(
      /maxRetries: expected an integer from 0 to 1000/,
    );
    expect(() => s.register("a", fn, { priority: 2 ** 31 })).toThrow(/priority: expected an integer from/);
    expect(() => s.register("a", fn, null as never)).toThrow(InvalidArgumentError);
  });

  it("a one-time schedule whose until is before its run, or maxOccurrences past 2^31 - 1", async () => {
    const { s } = setup();
    const runAt = new Date("2030-01-02T00:00:00Z");
    await expect(
      s.at(runAt).do("once", () => {}, { until: new Date("2030-01-01T12:00:00Z") }),
    ).rejects.toThrow(/until .* is before the one-time run/);
    await expect(s.schedule("many", "* * * * *", () => {}, { maxOccurrences: 1e21 })).rejects.toThrow(
      /maxOccurrences must be an integer from 1/,
    );
    expect(await s.listSchedules()).toEqual([]);
  });

  it("use() checks a middleware's hooks as the hooks option does", () => {
    const { s } = setup();
    const mw = Object.assign((next: never) => next, { hooks: [{ befroeJob: () => {} }] });
    expect(() => s.use(mw as never)).toThrow(/middleware\.hooks\[0\]\.befroeJob/);
    const bad = Object.assign((next: never) => next, { hooks: [{ afterJob: 1 }] });
    expect(() => s.use(bad as never)).toThrow(/middleware\.hooks\[0\]\.afterJob: expected a function/);
  });

  it("middleware factories check what they are given", () => {
    expect(() => logging("x" as never)).toThrow(/logger/);
    expect(() => logging(null as never)).toThrow(/logger/);
    expect(() => recovery({} as never)).toThrow(/logger/);
    expect(() => metrics({ increment: 1 } as never)).toThrow(/no increment/);
    expect(() => chain(1 as never)).toThrow(/middleware\[0\]/);
    expect(() => typedHandler("x" as never)).toThrow(/fn/);
    expect(() => typedHandler(() => {}, {} as never)).toThrow(/Standard Schema/);
    expect(() => recovery()).not.toThrow();
  });

  it("durations: no Infinity from a long string, retryAfter at most 2^31 - 1 ms", () => {
    expect(() => parseDuration(`${"1".repeat(400)}s`)).toThrow(/longer than any duration/);
    expect(() => retryAfter(new Error("x"), 1e21)).toThrow(/at most about 24 days/);
    expect(retryAfter(new Error("x"), "1h").delayMs).toBe(3_600_000);
  });

  it("a random that leaves [0, 1) cannot stretch a retry delay: NaN counts as 0, 5 as just under 1", async () => {
    for (const [random, most] of [
      [() => Number.NaN, 10_000],
      [() => 5, 15_000],
    ] as const) {
      const store = new MemoryStore();
      const s = createScheduler({
        store,
        logger: recordingLogger(),
        random,
        retry: { initialDelay: "10s", jitter: 0.5 },
      });
      s.register("flaky", () => {
        throw new Error("no");
      });
      await s.start();
      const job = await s.enqueue({ name: "flaky", maxRetries: 1 });
      await until(async () => (await store.getJob(job.id))?.status === "failed");
      const failed = await store.getJob(job.id);
      await s.stop({ timeout: 0 });
      const wait = (failed?.scheduledAt.getTime() ?? 0) - (failed?.completedAt?.getTime() ?? Date.now());
      expect(wait).toBeLessThanOrEqual(most);
      expect(wait).toBeGreaterThan(1_000);
    }
  });
});

describe("a bad value of any type is named in the error, and naming it never throws", () => {
  // BigInt made JSON.stringify throw, a Symbol made a template literal throw, and an object
  // without a prototype made String() throw: each turned the refusal into a TypeError.
  const hostile: [string, unknown][] = [
    ["a bigint", 10n],
    ["a symbol", Symbol("x")],
    ["an object without a prototype", Object.create(null)],
    ["NaN", Number.NaN],
  ];
  const s = createScheduler({ store: new MemoryStore() });
  const calls: [string, (v: unknown) => unknown][] = [
    ["listJobs limit", (v) => s.listJobs({ limit: v as number })],
    ["listJobs order", (v) => s.listJobs({ order: v as "asc" })],
    ["listJobs status", (v) => s.listJobs({ status: v as "pending" })],
    ["listJobs status list", (v) => s.listJobs({ status: [v as "pending"] })],
    ["schedule misfire", (v) => s.schedule("m", "* * * * *", () => {}, { misfire: v as "skip" })],
    ["schedule overlap", (v) => s.schedule("o", "* * * * *", () => {}, { overlap: v as "allow" })],
    [
      "schedule maxOccurrences",
      (v) => s.schedule("x", "* * * * *", () => {}, { maxOccurrences: v as number }),
    ],
    ["schedule until", (v) => s.schedule("u", "* * * * *", () => {}, { until: v as Date })],
    ["every(n)", (v) => s.every(v as number)],
    [
      "every().at()",
      (v) =>
        s
          .every(1)
          .day()
          .at(v as string),
    ],
    ["register maxRetries", (v) => s.register("r", () => {}, { maxRetries: v as number })],
    ["register priority", (v) => s.register("p", () => {}, { priority: v as number })],
    ["retry multiplier", (v) => s.register("q", () => {}, { retry: { multiplier: v as number } })],
    ["enqueue runAt", (v) => s.enqueue({ name: "r", runAt: v as Date })],
    ["throughput since", (v) => s.throughput({ since: v as Date })],
    ["listJobs from", (v) => s.listJobs({ from: v as Date })],
    ["listJobs to", (v) => s.listJobs({ to: v as Date })],
    ["enqueue priority", (v) => s.enqueue({ name: "r", priority: v as number })],
    ["enqueue maxRetries", (v) => s.enqueue({ name: "r", maxRetries: v as number })],
  ];
  for (const [call, run] of calls) {
    it.each(hostile)(`${call}: %s`, async (_label, value) => {
      let thrown: unknown;
      try {
        await run(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).constructor.name).not.toBe("TypeError");
      expect((thrown as { code?: string }).code).toMatch(/^INVALID_(ARGUMENT|SCHEDULE)$/);
      if (typeof value === "number") expect((thrown as Error).message).toContain("NaN");
    });
  }
});

describe("configFromEnv: a variable that is not a string", () => {
  it.each([
    ["a bigint", 10n],
    ["a symbol", Symbol("x")],
    ["an object without a prototype", Object.create(null)],
    ["NaN", Number.NaN],
  ])("%s is a ConfigError naming the variable", (_label, value) => {
    let thrown: unknown;
    try {
      configFromEnv({ SCHEDULER_LOCK_TTL: value as never });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "CONFIG_INVALID", field: "SCHEDULER_LOCK_TTL" });
  });
});
