import { describe, expect, it } from "vitest";
import { configFromEnv } from "../src/config/env-config.js";
import type { SchedulerOptions } from "../src/config/options.js";
import { ConfigError } from "../src/errors.js";
import type { HandlerFn } from "../src/jobs/handler.js";
import type { Job } from "../src/jobs/job.js";
import type { Logger } from "../src/logger/logger.js";
import { MemoryLeader, MemoryLeaderGroup, MemoryStore } from "../src/memory/index.js";
import type { OutgoingJob } from "../src/middleware/middleware.js";
import { rateLimited, retry } from "../src/retry/retry.js";
import { createScheduler } from "../src/scheduler.js";
import { recordingLogger, setup, until } from "./helpers.js";

const build = (options: unknown) => () => createScheduler(options as SchedulerOptions);

describe("options are validated at construction", () => {
  it.each([
    [{ wrokers: 5 }, "wrokers", /did you mean workers\?/],
    [{ distributed: { lockTtl: "30s" } }, "distributed.lockTtl", /did you mean distributed\.lockTTL\?/],
    [{ deadLetter: { retension: "1h" } }, "deadLetter.retension", /did you mean deadLetter\.retention\?/],
    [{ retry: { maxAttempt: 3 } }, "retry.maxAttempt", /did you mean retry\.maxAttempts\?/],
    // A shortened name, and the names other queues give to an option.
    [{ log: console }, "log", /did you mean logger\?/],
    [{ poll: "1s" }, "poll", /did you mean pollInterval\?/],
    [{ concurrency: 5 }, "concurrency", /did you mean workers\?/],
    [{ connection: {} }, "connection", /did you mean store\?/],
    [{ removeOnComplete: true }, "removeOnComplete", /did you mean completedRetention\?/],
    [{ sentinels: [] }, "sentinels", /is not an option here/],
    [{ logger: "console" }, "logger", /debug, info, warn and error/],
    [{ logger: { info() {}, warn() {}, error() {} } }, "logger", /no debug method/],
    [{ clock: Date }, "clock", /now, setTimeout, clearTimeout/],
    [{ store: { getJob() {} } }, "store", /no createJobs, .*releaseJobs/],
    [{ leader: {} }, "leader", /isLeader/],
    [{ hooks: [null] }, "hooks", /array of hook objects/],
    [{ idGenerator: "uuid" }, "idGenerator", /a function/],
    [{ queues: "emails" }, "queues", /array of queue names/],
    [{ maxMetadataBytes: -1 }, "maxMetadataBytes", /integer from 0 to 2147483647/],
    [[], "options", /an object of options/],
    // Booleans are booleans: the string "false" would be true.
    [{ deadLetter: { enabled: "false" } }, "deadLetter.enabled", /true or false/],
    [{ strictHandlers: "no" }, "strictHandlers", /true or false/],
    [{ distributed: { enabled: "false" } }, "distributed.enabled", /true or false/],
    // Counts have a ceiling: 1e21 is an integer no store takes.
    [{ workers: 1e21 }, "workers", /from 1 to 1000000/],
    [{ prefetch: 2e6 }, "prefetch", /from 0 to 1000000/],
    [{ claimBatchSize: 1e21 }, "claimBatchSize", /from 1 to 1000000/],
    [{ misfireLimit: 1e21 }, "misfireLimit", /from 1 to 1000000/],
    [{ maxPayloadBytes: 1e21 }, "maxPayloadBytes", /from 0 to 2147483647/],
    [{ cleanupInterval: 0 }, "cleanupInterval", /must be positive/],
    [{ middleware: [1] }, "middleware[0]", /a middleware function/],
    [{ queues: ["a", "a"] }, "queues[1]", /a second time/],
    [{ queues: { a: { concurrency: 1e21 } } }, "queues.a.concurrency", /from 1 to 1000000/],
    [{ retry: null }, "retry", /got null/],
    [{ retry: { maxAttempts: 5000 } }, "retry.maxAttempts", /from 1 to 1001/],
    [{ pollInterval: `${"1".repeat(400)}s` }, "pollInterval", /longer than any duration/],
  ])("%o is a ConfigError naming %s", (options, field, message) => {
    expect(build(options)).toThrow(ConfigError);
    expect(build(options)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(message) }),
    );
  });

  it("the largest workers taken leaves prefetch and claimBatchSize at defaults within the ceiling", () => {
    expect(() => createScheduler({ workers: 1_000_000, logger: recordingLogger() })).not.toThrow();
  });

  it("an option set to undefined counts as absent", () => {
    expect(() => createScheduler({ workers: undefined, logger: recordingLogger() })).not.toThrow();
  });
});

describe("a ConfigError never quotes a value that could be a connection string", () => {
  const secret = "postgres://app:Hunter-s3cret@db.internal:5432/app";
  const leaks = (err: unknown): boolean => {
    for (let e: unknown = err; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
      if (String((e as Error).message).includes("Hunter-s3cret")) return true;
    }
    return JSON.stringify(err).includes("Hunter-s3cret");
  };
  it.each([
    ["pollInterval", { pollInterval: secret }],
    ["defaultTimeout", { defaultTimeout: secret }],
    ["completedRetention", { completedRetention: secret }],
    ["misfire", { misfire: secret }],
    ["queues[0]", { queues: [secret] }],
    ["deadLetter.queue", { deadLetter: { queue: secret } }],
    ["deadLetter.retention", { deadLetter: { retention: secret } }],
    ["distributed.lockTTL", { distributed: { lockTTL: secret } }],
    ["workers", { workers: secret }],
    ["retry.initialDelay", { retry: { initialDelay: secret } }],
  ])("%s", (field, options) => {
    let caught: unknown;
    try {
      createScheduler(options as SchedulerOptions);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).field).toBe(field);
    expect(leaks(caught)).toBe(false);
  });

  it("in the environment too, while plain words are still quoted to help", () => {
    for (const [name, value] of [
      ["SCHEDULER_LOCK_TTL", secret],
      ["SCHEDULER_WORKERS", secret],
      ["SCHEDULER_INSTANCE_ID", `${secret} with spaces`],
      ["SCHEDULER_STORE", secret],
    ] as const) {
      let caught: unknown;
      try {
        configFromEnv({ [name]: value });
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(ConfigError);
      expect(leaks(caught), name).toBe(false);
    }
    expect(() => configFromEnv({ SCHEDULER_WORKERS: "ten" })).toThrow(/"ten"/);
    expect(() => createScheduler({ pollInterval: "soon" as never })).toThrow(/"soon"/);
  });
});

describe("a logger that throws", () => {
  it("never breaks a job, a retry, a dead job or the loop", async () => {
    let calls = 0;
    const throwing: Logger = {
      debug: () => {
        calls++;
        throw new Error("logger down");
      },
      info: () => {
        calls++;
        throw new Error("logger down");
      },
      warn: () => {
        calls++;
        throw new Error("logger down");
      },
      error: () => {
        calls++;
        // An async logger whose promise rejects.
        return Promise.reject(new Error("async logger down")) as unknown as undefined;
      },
    };
    const { s, store } = setup({ logger: throwing, retry: { maxAttempts: 2, initialDelay: 0, jitter: 0 } });
    s.register("fails", () => {
      throw new Error("handler error");
    });
    s.register("works", () => {});
    await s.start();
    const failing = await s.enqueue({ name: "fails" });
    const working = await s.enqueue({ name: "works" });
    await until(async () => (await store.getJob(failing.id))?.status === "dead");
    await until(async () => (await store.getJob(working.id))?.status === "completed");
    expect(calls).toBeGreaterThan(0);
    await s.stop({ timeout: 0 });
  });
});

describe("limits cover everything a job carries", () => {
  it("metadata over maxMetadataBytes is PAYLOAD_TOO_LARGE naming metadata, and nothing is stored", async () => {
    const store = new MemoryStore();
    const s = createScheduler({ store, logger: recordingLogger(), maxMetadataBytes: 1024 });
    await expect(
      s.enqueue({ name: "j", metadata: { big: "x".repeat(10 * 1024 * 1024) } }),
    ).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      field: "job.metadata",
    });
    await expect(
      s.enqueueMany([{ name: "ok" }, { name: "j", metadata: { a: "é".repeat(600) } }]),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", field: "jobs[1].metadata" });
    await s.enqueue({ name: "j", metadata: { small: "x".repeat(900) } });
    expect((await store.listJobs({})).jobs).toHaveLength(1);
  });

  it("the default metadata limit is 16 KiB, and a payload over its limit names the payload", async () => {
    const s = createScheduler({ store: new MemoryStore(), logger: recordingLogger(), maxPayloadBytes: 100 });
    await expect(s.enqueue({ name: "j", metadata: { v: "x".repeat(17 * 1024) } })).rejects.toMatchObject({
      field: "job.metadata",
      limit: 16 * 1024,
    });
    await expect(s.enqueue({ name: "j", payload: "y".repeat(200) })).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      field: "job.payload",
    });
  });
});

describe("an option or field inherited from a polluted Object.prototype is refused, never read", () => {
  it("createScheduler, enqueue, listJobs and MemoryStore name it", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    const proto = Object.prototype as Record<string, unknown>;
    const polluted = async (name: string, call: () => unknown) => {
      proto[name] = name === "workers" ? 3 : "polluted";
      try {
        return await Promise.resolve().then(call);
      } catch (err) {
        return err;
      } finally {
        delete proto[name];
      }
    };
    expect(await polluted("workers", () => createScheduler({}))).toMatchObject({
      code: "CONFIG_INVALID",
      field: "workers",
      message: expect.stringMatching(/Object\.prototype has a property of this name/),
    });
    expect(await polluted("queue", () => s.enqueue({ name: "x" }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "job.queue",
    });
    expect(await polluted("status", () => s.listJobs({}))).toMatchObject({ field: "filter.status" });
    expect(await polluted("removeOnComplete", () => new MemoryStore({}))).toMatchObject({
      field: "removeOnComplete",
    });
    // Without the pollution, the same calls are accepted; an object without a prototype inherits nothing.
    await expect(s.enqueue({ name: "x" })).resolves.toMatchObject({ queue: "default" });
    expect(
      await polluted("queue", () => s.enqueue(Object.assign(Object.create(null), { name: "x" }))),
    ).toMatchObject({
      queue: "default",
    });
    await s.stop();
  });
});

describe("misspelt fields and options are refused everywhere, not ignored", () => {
  it("enqueue, schedule, register, retry, stop, healthCheck, listJobs, hooks, MemoryStore and MemoryLeader", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    await expect(s.enqueue({ name: "x", maxRetry: 7 } as never)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "job.maxRetry",
    });
    await expect(s.enqueue({ name: "x", maxRetry: 7 } as never)).rejects.toThrow(
      /did you mean job\.maxRetries\?/,
    );
    // The names other queues give to a job's fields point to @sched's.
    for (const [foreign, meant] of [
      ["attempts", "maxRetries"],
      ["data", "payload"],
      ["singletonKey", "uniqueKey"],
      ["jobKey", "uniqueKey"],
      ["startAfter", "runAt"],
      ["queueName", "queue"],
    ]) {
      await expect(s.enqueue({ name: "x", [foreign as string]: 1 } as never)).rejects.toThrow(
        new RegExp(`^job\\.${foreign}: is not a field here; did you mean job\\.${meant}\\?`),
      );
    }
    await expect(s.enqueueMany([{ name: "x" }, { name: "y", dealy: "1s" } as never])).rejects.toMatchObject({
      field: "jobs[1].dealy",
    });
    await expect(
      s.schedule("x", "* * * * *", () => {}, { timezon: "Europe/Berlin" } as never),
    ).rejects.toMatchObject({
      field: "options.timezon",
    });
    expect(() => s.register("x", () => {}, { retri: {} } as never)).toThrow(
      expect.objectContaining({ field: "options.retri" }),
    );
    expect(() => retry({ intialDelay: "1s" } as never)).toThrow(
      expect.objectContaining({ field: "retry.intialDelay" }),
    );
    await expect(s.listJobs({ stauts: "dead" } as never)).rejects.toMatchObject({ field: "filter.stauts" });
    await expect(s.listJobs({ status: "deceased" as never })).rejects.toMatchObject({ field: "status" });
    await expect(s.listJobs({ queue: "a\u0000" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(() => s.healthCheck({ timeot: "1s" } as never)).toThrow(
      expect.objectContaining({ field: "options.timeot" }),
    );
    await expect(s.stop({ timeot: "1s" } as never)).rejects.toMatchObject({ field: "options.timeot" });
    expect(() => createScheduler({ hooks: [{ onRetri: () => {} }] } as never)).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "hooks[0].onRetri" }),
    );
    expect(() => createScheduler({ hooks: [{ onRetry: "yes" }] } as never)).toThrow(
      expect.objectContaining({ field: "hooks[0].onRetry" }),
    );
    expect(() => new MemoryStore({ remove: true } as never)).toThrow(
      expect.objectContaining({ field: "remove" }),
    );
    expect(() => new MemoryLeader({ tll: "1s" } as never)).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", field: "tll" }),
    );
  });

  it("an unknown name that is not a plain word is quoted, escaped and cut, never printed raw", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    const forged = "x\nERROR injected line\u0000";
    const error = await s.enqueue({ name: "x", [forged]: 1 } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field: `job[${JSON.stringify(forged)}]` });
    expect((error as Error).message.includes("\n") || (error as Error).message.includes("\u0000")).toBe(
      false,
    );
    const long = "k".repeat(10_000);
    expect(() => new MemoryStore({ [long]: 1 } as never)).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        field: `options[${JSON.stringify(`${"k".repeat(64)}…`)}]`,
      }),
    );
    // JSON keeps U+2028 and bidirectional controls as they are: they are escaped too.
    expect(() => new MemoryStore({ "a\u2028b\u202e": 1 } as never)).toThrow(
      expect.objectContaining({ field: 'options["a\\u2028b\\u202e"]' }),
    );
    expect(() => createScheduler({ "workers ": 1 } as never)).toThrow(
      expect.objectContaining({
        field: 'options["workers "]',
        message: expect.stringMatching(/did you mean workers\?/),
      }),
    );
  });

  it("a leader given without distributed.enabled is used; with distributed.enabled false it is refused", () => {
    const leader = new MemoryLeader({ group: new MemoryLeaderGroup() });
    expect(createScheduler({ leader, logger: recordingLogger() }).options.distributed.enabled).toBe(true);
    expect(() => createScheduler({ leader, distributed: { enabled: false } })).toThrow(
      expect.objectContaining({ field: "distributed.enabled" }),
    );
  });
});

describe("lookups take only ids and names a store can keep", () => {
  it("getJob, cancel, retryJob and unschedule refuse U+0000 and lone surrogates alike on every store", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    // 232 characters: a 200-character id's dead letter (`<id>:dead:<attempt>`) is found too.
    expect(await s.getJob("y".repeat(232))).toBeNull();
    for (const id of ["x\u0000", "\ud800", "", "y".repeat(233)]) {
      await expect(s.getJob(id)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "id" });
      await expect(s.cancel(id)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(s.retryJob(id)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    }
    await expect(s.unschedule("x\u0000")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(s.getJob(42 as never)).rejects.toMatchObject({ field: "id" });
    expect(await s.getJob("no-such-job")).toBeNull();
  });
});

describe("metadata added by middleware keeps the rules", () => {
  it("U+0000, a number or too much metadata added by wrapEnqueue is refused before the store sees it", async () => {
    const store = new MemoryStore();
    const s = createScheduler({ store, logger: recordingLogger(), maxMetadataBytes: 1024 });
    let add: Record<string, unknown> = {};
    s.use(
      Object.assign((next: HandlerFn) => next, {
        wrapEnqueue: (jobs: readonly OutgoingJob[], insert: () => Promise<Job[]>) => {
          for (const job of jobs) Object.assign(job.metadata, add);
          return insert();
        },
      }),
    );
    for (const bad of [{ nul: "a\u0000b" }, { num: 5 }, { big: "y".repeat(2000) }]) {
      add = bad;
      await expect(s.enqueue({ name: "x" })).rejects.toMatchObject({
        field: expect.stringMatching(/^job\.metadata/),
      });
    }
    add = { traceparent: "00-abc-def-01" };
    const job = await s.enqueue({ name: "x" });
    expect(job.metadata).toEqual({ traceparent: "00-abc-def-01" });
    expect((await store.listJobs({})).jobs).toHaveLength(1);
  });
});

describe("a held unique key", () => {
  it("names the key, the queue and the job holding it", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    const first = await s.enqueue({ name: "x", queue: "emails", uniqueKey: "welcome:42" });
    await expect(s.enqueue({ name: "x", queue: "emails", uniqueKey: "welcome:42" })).rejects.toMatchObject({
      code: "JOB_ALREADY_EXISTS",
      uniqueKey: "welcome:42",
      queue: "emails",
      existingJobId: first.id,
    });
    await expect(s.enqueue({ name: "x", queue: "emails", uniqueKey: "welcome:42" })).rejects.toThrow(
      /uniqueKey "welcome:42" in queue "emails" is held by a job that is scheduled, pending, failed/,
    );
  });

  it("a retry refused for a held key names its queue too, and a key with a line break is escaped", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    const key = "line\nbreak";
    const first = await s.enqueue({ name: "x", queue: "emails", uniqueKey: key });
    await s.cancel(first.id);
    const second = await s.enqueue({ name: "x", queue: "emails", uniqueKey: key });
    const error = await s.retryJob(first.id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "JOB_ALREADY_EXISTS",
      uniqueKey: key,
      queue: "emails",
      existingJobId: second.id,
    });
    expect((error as Error).message).toContain('uniqueKey "line\\nbreak" in queue "emails"');
  });
});

describe("retryJobs refuses a status no job can be retried from", () => {
  it("completed, running or any waiting status is INVALID_ARGUMENT naming status; dead and cancelled pass", async () => {
    const s = createScheduler({ logger: recordingLogger() });
    for (const status of ["completed", "running", "pending", "scheduled", "failed"] as const) {
      await expect(s.retryJobs({ status })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field: "status",
      });
      await expect(s.retryJobs({ status: ["dead", status] })).rejects.toThrow(
        new RegExp(`only dead or cancelled jobs can be retried, got "${status}"`),
      );
    }
    expect(await s.retryJobs({ status: ["dead", "cancelled"] })).toBe(0);
  });
});

describe("durations and rateLimited name what is wrong", () => {
  it("Infinity and negative numbers say why; every bad rateLimited delay is field delay", () => {
    expect(() => retry({ initialDelay: Number.POSITIVE_INFINITY })).toThrow(/got Infinity \(not finite\)/);
    expect(() => retry({ initialDelay: -5 })).toThrow(/got -5 \(negative\)/);
    expect(() => rateLimited(null as never)).toThrow(/got null$/);
    for (const delay of [0, "30d", -1, "forever", Number.NaN, Number.POSITIVE_INFINITY, null, {}]) {
      expect(() => rateLimited(delay as never)).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: "delay" }),
      );
    }
  });
});
