import { describe, expect, it } from "vitest";
import { readBackendEnv } from "../src/config/backend-env.js";
import { configFromEnv } from "../src/config/env-config.js";
import { ConfigError, InvalidArgumentError, JobNotFoundError } from "../src/errors.js";
import { createSchedulerFromEnv } from "../src/from-env.js";
import { typedHandler } from "../src/handlers/typed-handler.js";
import { MemoryLeader, MemoryStore } from "../src/memory/index.js";
import { metrics } from "../src/middleware/metrics.js";
import { rateLimited, retry } from "../src/retry/retry.js";
import { createScheduler } from "../src/scheduler.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { dateMs, isDate } from "../src/validation/dates.js";
import { readOptions } from "../src/validation/read-options.js";
import { describeValue } from "../src/validation/text.js";
import { setup } from "./helpers.js";

/** The caller's own error: it must never come out of a call as it is. */
class CallerError extends Error {}

/** `base` plus an enumerable getter `late` that throws. */
function withThrowingGetter<T extends object>(base: T): T {
  const copy = { ...base };
  Object.defineProperty(copy, "late", {
    enumerable: true,
    get() {
      throw new CallerError("from a getter");
    },
  });
  return copy;
}

/** A proxy of `base` whose every trap throws. */
function throwingProxy<T extends object>(base: T): T {
  const fail = (): never => {
    throw new CallerError("from a trap");
  };
  return new Proxy(base, {
    ownKeys: fail,
    get: fail,
    has: fail,
    getOwnPropertyDescriptor: fail,
    getPrototypeOf: fail,
  });
}

const HOSTILE = [
  ["a throwing getter", withThrowingGetter],
  ["a proxy whose traps throw", throwingProxy],
] as const;

describe("readOptions", () => {
  it("copies plain objects and arrays, keeps instances, functions and primitives", () => {
    const date = new Date(0);
    const store = new MemoryStore();
    const fn = () => 1;
    const given = { a: 1, nested: { list: [1, { b: "x" }], date }, store, fn, none: undefined };
    const copy = readOptions(given, "options");
    expect(copy).toEqual(given);
    expect(copy).not.toBe(given);
    expect(copy.nested).not.toBe(given.nested);
    expect(copy.nested.list).not.toBe(given.nested.list);
    expect(copy.nested.date).toBe(date);
    expect(copy.store).toBe(store);
    expect(copy.fn).toBe(fn);
    expect(Object.hasOwn(copy, "none")).toBe(true);
    for (const value of [undefined, null, 3, "x", fn]) expect(readOptions(value, "options")).toBe(value);
  });

  it("keeps a plain object with methods within the options (it may keep state on this)", () => {
    const logger = {
      lines: 0,
      info() {
        this.lines++;
      },
    };
    const copy = readOptions({ logger, data: { a: 1 } }, "", "option");
    expect(copy.logger).toBe(logger);
    copy.logger.info();
    expect(logger.lines).toBe(1);
    // The options object itself is always copied, methods or not.
    const top = { now: () => 1 };
    expect(readOptions(top, "", "option")).not.toBe(top);
    expect(() =>
      readOptions(
        {
          logger: {
            info() {},
            get warn() {
              throw new CallerError("x");
            },
          },
        },
        "",
        "option",
      ),
    ).toThrow(/^logger\.warn: could not be read/);
  });

  it("reads each getter once: the copy keeps the first answer", () => {
    let reads = 0;
    const given = {
      get timeout() {
        reads++;
        return reads === 1 ? "1s" : "not a duration";
      },
    };
    const copy = readOptions(given, "options");
    expect(copy.timeout).toBe("1s");
    expect(copy.timeout).toBe("1s");
    expect(reads).toBe(1);
  });

  it("keeps a key named __proto__ as an own property and survives cycles", () => {
    const given = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = readOptions(given, "options");
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const copied = readOptions(cyclic, "options");
    expect(copied.self).toBe(copied);
  });

  it("names the key whose read threw, as ConfigError or InvalidArgumentError by kind", () => {
    const given = { retry: withThrowingGetter({ maxAttempts: 3 }) };
    expect(() => readOptions(given, "", "option")).toThrow(ConfigError);
    expect(() => readOptions(given, "", "option")).toThrow(/^retry\.late: could not be read/);
    expect(() => readOptions(given, "filter")).toThrow(InvalidArgumentError);
    expect(() => readOptions(given, "filter")).toThrow(/^filter\.retry\.late: could not be read/);
    expect(() => readOptions([1, throwingProxy({})], "jobs")).toThrow(/^jobs\[1\]: could not be read/);
    expect(() => readOptions(throwingProxy({}), "", "option")).toThrow(/^options: could not be read/);
    // The caller's message is not repeated: it may hold a secret.
    expect(() => readOptions(given, "filter")).not.toThrow(/from a getter/);
  });

  it("lets a SchedulerError thrown by a getter through", () => {
    const given = {
      get x() {
        throw new JobNotFoundError("j1");
      },
    };
    expect(() => readOptions(given, "options")).toThrow(JobNotFoundError);
  });
});

describe("options that throw when read are refused with a typed error at every entry point", () => {
  for (const [label, hostile] of HOSTILE) {
    it(`constructors and configFromEnv refuse ${label} with ConfigError`, () => {
      const made = [
        () => createScheduler(hostile({ store: new MemoryStore() })),
        () => createScheduler({ store: new MemoryStore(), retry: hostile({ maxAttempts: 2 }) }),
        () => createScheduler({ store: new MemoryStore(), distributed: hostile({}) }),
        () => new MemoryStore(hostile({})),
        () => new MemoryLeader(hostile({})),
        () => configFromEnv(hostile({ SCHEDULER_WORKERS: "2" })),
        () =>
          readBackendEnv(hostile({ SCHEDULER_REDIS_URL: "redis://x" }), "redis", {
            SCHEDULER_REDIS_URL: { kind: "text" },
          }),
      ];
      for (const make of made) {
        let thrown: unknown;
        try {
          make();
        } catch (err) {
          thrown = err;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).message).toMatch(/could not be read/);
      }
    });

    it(`createSchedulerFromEnv refuses ${label} as its variables or overrides with ConfigError`, async () => {
      await expect(createSchedulerFromEnv(hostile({ SCHEDULER_WORKERS: "2" }))).rejects.toThrow(ConfigError);
      await expect(createSchedulerFromEnv({}, hostile({ workers: 2 }))).rejects.toThrow(
        /^overrides.*could not be read/,
      );
    });

    it(`the scheduler's calls refuse ${label} with InvalidArgumentError, and nothing is written`, async () => {
      const { s } = setup();
      s.register("n", () => {});
      const calls: Array<[string, () => unknown]> = [
        ["register", () => s.register("m", () => {}, hostile({}))],
        ["enqueue options", () => s.enqueue({ name: "n" }, hostile({}))],
        ["enqueueAt job", () => s.enqueueAt(hostile({ name: "n" }), new Date(Date.now() + 60_000))],
        ["enqueueMany options", () => s.enqueueMany([{ name: "n" }], hostile({}))],
        ["listJobs", () => s.listJobs(hostile({}))],
        ["retryJobs", () => s.retryJobs(hostile({ status: "dead" as const }))],
        ["deleteJobs", () => s.deleteJobs(hostile({ status: "dead" as const }))],
        ["throughput", () => s.throughput(hostile({ since: new Date(0) }))],
        ["configureQueue", () => s.configureQueue("q", hostile({ concurrency: 1 }))],
        [
          "configureQueue rateLimit",
          () => s.configureQueue("q", { rateLimit: hostile({ max: 1, per: "1s" as const }) }),
        ],
        ["schedule", () => s.schedule("c", "* * * * *", () => {}, hostile({}))],
        [
          "every().do",
          () =>
            s
              .every(5)
              .minutes()
              .do("e", () => {}, hostile({})),
        ],
        ["at().do", () => s.at(new Date(Date.now() + 60_000)).do("t", () => {}, hostile({}))],
        ["backfillSchedule", () => s.backfillSchedule("c", hostile({ from: new Date(0), to: new Date(1) }))],
        ["healthCheck", () => s.healthCheck(hostile({}))],
        ["stop", () => createScheduler({ store: new MemoryStore() }).stop(hostile({}))],
        ["retry", () => retry(hostile({ maxAttempts: 2 }))],
      ];
      for (const [name, call] of calls) {
        let thrown: unknown;
        try {
          await call();
        } catch (err) {
          thrown = err;
        }
        expect(thrown, name).toBeInstanceOf(InvalidArgumentError);
        expect((thrown as Error).message, name).toMatch(/could not be read/);
      }
      expect((await s.listJobs()).jobs).toEqual([]);
      expect(await s.listSchedules()).toEqual([]);
    });
  }
});

/** A proxy that cannot be looked into at all: every operation on it throws a TypeError. */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A proxy whose every trap throws the caller's error, with a message that must not be repeated. */
function secretTraps(): object {
  const fail = (): never => {
    throw new CallerError("token=abc");
  };
  return new Proxy([], {
    get: fail,
    getPrototypeOf: fail,
    ownKeys: fail,
    has: fail,
    getOwnPropertyDescriptor: fail,
  });
}

describe("arguments that cannot be looked into are typed errors, never the caller's", () => {
  it("describeValue, dateMs and isDate never throw", () => {
    expect(describeValue(revoked())).toBe("a proxy that cannot be read");
    expect(describeValue(secretTraps())).toBe("an array");
    const fakeDate = Object.create(Date.prototype) as Date;
    for (const value of [revoked(), secretTraps(), fakeDate, new Proxy(new Date(0), {}), "x", 5]) {
      expect(dateMs(value)).toBeNaN();
      expect(isDate(value)).toBe(false);
    }
    expect(dateMs(new Date(5))).toBe(5);
    expect(isDate(new Date(Number.NaN))).toBe(true);
  });

  it("every argument position of the scheduler's calls", async () => {
    const { s } = setup();
    s.register("n", () => {});
    await s.schedule("nightly", "0 3 * * *", () => {});
    const fakeDate = Object.create(Date.prototype) as Date;
    const calls: Array<[string, (bad: never) => unknown]> = [
      ["enqueueAt runAt", (bad) => s.enqueueAt({ name: "n" }, bad)],
      ["enqueue runAt", (bad) => s.enqueue({ name: "n", runAt: bad })],
      ["enqueueMany jobs", (bad) => s.enqueueMany(bad)],
      ["enqueueMany item", (bad) => s.enqueueMany([{ name: "n" }, bad])],
      ["register handler", (bad) => s.register("m", bad)],
      ["schedule handler", (bad) => s.schedule("c", "* * * * *", bad)],
      ["at date", (bad) => s.at(bad)],
      ["every n", (bad) => s.every(bad)],
      ["previewSchedule count", (bad) => s.previewSchedule("nightly", bad)],
      ["getQueue name", (bad) => s.getQueue(bad)],
      ["pauseSchedule name", (bad) => s.pauseSchedule(bad)],
      ["listJobs from", (bad) => s.listJobs({ from: bad })],
      ["deleteJobs to", (bad) => s.deleteJobs({ status: "completed", to: bad })],
      ["throughput since", (bad) => s.throughput({ since: bad })],
      ["backfillSchedule from", (bad) => s.backfillSchedule("nightly", { from: bad, to: new Date(1) })],
    ];
    for (const [name, call] of calls) {
      for (const bad of [revoked(), secretTraps(), fakeDate]) {
        let thrown: unknown;
        try {
          await call(bad as never);
        } catch (err) {
          thrown = err;
        }
        // previewSchedule, at and every throw their own SchedulerError classes.
        expect(thrown, name).toHaveProperty("code");
        expect(thrown, name).not.toBeInstanceOf(CallerError);
        expect((thrown as Error).message, name).not.toContain("token=abc");
      }
    }
    expect((await s.listJobs()).jobs).toEqual([]);
  });

  it("the helpers that take objects: rateLimited, metrics, typedHandler and ManualClock", () => {
    const made: Array<[string, (bad: never) => unknown]> = [
      ["rateLimited", (bad) => rateLimited("1s", bad)],
      ["metrics", (bad) => metrics(bad)],
      ["typedHandler", (bad) => typedHandler(() => {}, bad)],
      ["ManualClock", (bad) => new ManualClock(bad)],
    ];
    for (const [name, make] of made) {
      for (const bad of [revoked(), secretTraps()]) {
        let thrown: unknown;
        try {
          make(bad as never);
        } catch (err) {
          thrown = err;
        }
        expect(thrown, name).toBeInstanceOf(InvalidArgumentError);
        expect((thrown as Error).message, name).not.toContain("token=abc");
      }
    }
  });
});
