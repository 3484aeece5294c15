import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { MemoryStore } from "../src/memory/index.js";
import type { SchedulerOptions } from "../src/options.js";
import { createScheduler } from "../src/scheduler.js";
import type { Logger } from "../src/types.js";
import { recordingLogger, setup, until } from "./helpers.js";

const build = (options: unknown) => () => createScheduler(options as SchedulerOptions);

describe("options are validated at construction", () => {
  it.each([
    [{ wrokers: 5 }, "wrokers", /did you mean workers\?/],
    [{ distributed: { lockTtl: "30s" } }, "distributed.lockTtl", /did you mean distributed\.lockTTL\?/],
    [{ deadLetter: { retension: "1h" } }, "deadLetter.retension", /did you mean deadLetter\.retention\?/],
    [{ retry: { maxAttempt: 3 } }, "retry.maxAttempt", /did you mean retry\.maxAttempts\?/],
    [{ sentinels: [] }, "sentinels", /is not an option here/],
    [{ logger: "console" }, "logger", /debug, info, warn and error/],
    [{ logger: { info() {}, warn() {}, error() {} } }, "logger", /no debug method/],
    [{ clock: Date }, "clock", /now, setTimeout, clearTimeout/],
    [{ store: { getJob() {} } }, "store", /no createJobs, .*releaseJobs/],
    [{ leader: {} }, "leader", /isLeader/],
    [{ hooks: [null] }, "hooks", /array of hook objects/],
    [{ idGenerator: "uuid" }, "idGenerator", /a function/],
    [{ queues: "emails" }, "queues", /array of queue names/],
    [{ maxMetadataBytes: -1 }, "maxMetadataBytes", /integer >= 0/],
    [[], "options", /an object of options/],
  ])("%o is a ConfigError naming %s", (options, field, message) => {
    expect(build(options)).toThrow(ConfigError);
    expect(build(options)).toThrow(
      expect.objectContaining({ field, message: expect.stringMatching(message) }),
    );
  });

  it("an option set to undefined counts as absent", () => {
    expect(() => createScheduler({ workers: undefined, logger: recordingLogger() })).not.toThrow();
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
    expect(await store.listJobs({})).toHaveLength(1);
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
