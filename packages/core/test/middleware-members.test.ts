import { afterEach, describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  ShuttingDownError,
} from "../src/errors.js";
import type { Job } from "../src/jobs/job.js";
import { chain } from "../src/middleware/chain.js";
import type {
  AttachedScheduler,
  EnqueueWrapper,
  Middleware,
  TickWrapper,
} from "../src/middleware/middleware.js";
import { failureOutcome, PermanentError } from "../src/retry/retry.js";
import type { Scheduler } from "../src/scheduler.js";
import { recordingLogger, setup, turns, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

/** A pass-through middleware carrying the given optional members. */
function withMembers(members: Partial<Omit<Middleware, never>>): Middleware {
  return Object.assign((next: Parameters<Middleware>[0]) => next, members);
}

describe("middleware members", () => {
  it("wrapEnqueue sees the jobs before the insert, may add metadata, and nests in order", async () => {
    const { s } = setup();
    current = s;
    const log: string[] = [];
    const stamp =
      (tag: string): EnqueueWrapper =>
      async (jobs, insert) => {
        log.push(`${tag}> ${jobs.map((j) => `${j.name}@${j.queue}`).join(",")}`);
        for (const job of jobs) job.metadata[tag] = job.id;
        const stored = await insert();
        log.push(`<${tag} ${stored.length}`);
        return stored;
      };
    s.use(withMembers({ wrapEnqueue: stamp("a") }), chain(withMembers({ wrapEnqueue: stamp("b") })));
    const job = await s.enqueue({ name: "mail", queue: "q1", metadata: { tenant: "t" } });
    expect(job.metadata).toEqual({ tenant: "t", a: job.id, b: job.id });
    expect((await s.getJob(job.id))?.metadata.a).toBe(job.id);
    const many = await s.enqueueMany([{ name: "x" }, { name: "y", queue: "q2" }]);
    expect(many.map((j) => j.metadata.b)).toEqual(many.map((j) => j.id));
    expect(log).toEqual([
      "a> mail@q1",
      "b> mail@q1",
      "<b 1",
      "<a 1",
      "a> x@default,y@q2",
      "b> x@default,y@q2",
      "<b 2",
      "<a 2",
    ]);
  });

  it("a payload wrapEnqueue replaces is checked as the caller's was, and its checked copy is stored", async () => {
    const { s } = setup({ maxPayloadBytes: 100 });
    current = s;
    let replacement: unknown = null;
    s.use(
      withMembers({
        wrapEnqueue: async (jobs, insert) => {
          for (const job of jobs) (job as unknown as { payload: unknown }).payload = replacement;
          return insert();
        },
      }),
    );
    replacement = { when: new Date(0) };
    await expect(s.enqueue({ name: "j", payload: { ok: true } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "job.payload.when",
    });
    replacement = "x".repeat(200);
    await expect(s.enqueueMany([{ name: "j" }, { name: "j" }])).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      field: "jobs[0].payload",
    });
    expect((await s.listJobs()).jobs).toEqual([]);
    const fine = { list: [1] };
    replacement = fine;
    const job = await s.enqueue({ name: "j", payload: { ok: true } });
    fine.list.push(2);
    expect((await s.getJob(job.id))?.payload).toEqual({ list: [1] });
  });

  it("a payload wrapEnqueue changes in place is checked again too", async () => {
    const { s } = setup();
    current = s;
    let change: (payload: Record<string, unknown>) => void = () => {};
    s.use(
      withMembers({
        wrapEnqueue: async (jobs, insert) => {
          for (const job of jobs) change((job as unknown as { payload: Record<string, unknown> }).payload);
          return insert();
        },
      }),
    );
    for (const [key, value, field] of [
      ["n", 10n, "job.payload.n"],
      ["self", null, "job.payload.self"],
      ["s", "a\u0000b", "job.payload.s"],
    ] as const) {
      change = (p) => {
        // null stands for the payload itself: a cycle.
        p[key] = value ?? p;
      };
      await expect(s.enqueue({ name: "j", payload: {} })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        field,
      });
    }
    expect((await s.listJobs()).jobs).toEqual([]);
    change = (p) => {
      p.added = "by middleware";
    };
    const job = await s.enqueue({ name: "j", payload: { own: 1 } });
    expect((await s.getJob(job.id))?.payload).toEqual({ own: 1, added: "by middleware" });
  });

  it("wrapEnqueue sees a failed insert as a rejection", async () => {
    const { s } = setup();
    current = s;
    const errors: string[] = [];
    s.use(
      withMembers({
        wrapEnqueue: async (_jobs, insert) => {
          try {
            return await insert();
          } catch (err) {
            errors.push((err as Error).name);
            throw err;
          }
        },
      }),
    );
    await s.enqueue({ name: "u", uniqueKey: "k" });
    await expect(s.enqueue({ name: "u", uniqueKey: "k" })).rejects.toThrow(/k/);
    expect(errors).toEqual(["JobAlreadyExistsError"]);
  });

  it("wrapTick wraps each schedule firing and its metadata reaches the tick jobs", async () => {
    const { s, clock } = setup();
    current = s;
    const firings: string[] = [];
    const wrapTick: TickWrapper = async (firing, fire) => {
      for (const job of firing.jobs) job.metadata.firing = `${firing.schedule}/${firing.queue}`;
      const result = await fire();
      firings.push(`${firing.schedule}:${firing.jobs.length}:${result.fired}:${result.jobs.length}`);
      return result;
    };
    const seen: Job[] = [];
    s.use(chain(withMembers({ wrapTick })));
    await s.schedule("beat", "*/10 * * * * *", (job) => {
      seen.push(job);
    });
    await s.start();
    await clock.advance("10s");
    await until(() => seen.length === 1);
    expect(firings).toEqual(["beat:1:true:1"]);
    expect(seen[0]?.metadata.firing).toBe("beat/default");
  });

  it("a tick job's payload wrapTick replaces is checked: a bad one fails the firing, a good one is stored as checked", async () => {
    const logger = recordingLogger();
    const errors = logger.lines;
    const { s, clock } = setup({ logger });
    current = s;
    let replacement: unknown = { when: new Date(0) };
    const wrapTick: TickWrapper = async (firing, fire) => {
      for (const job of firing.jobs) (job as unknown as { payload: unknown }).payload = replacement;
      return fire();
    };
    const seen: unknown[] = [];
    s.use(withMembers({ wrapTick }));
    await s.schedule("beat", "*/10 * * * * *", (job) => {
      seen.push(job.payload);
    });
    await s.start();
    await clock.advance("10s");
    await until(() =>
      errors.some((line) => line.includes("tick.payload.when: a Date is not JSON-serialisable")),
    );
    expect(seen).toEqual([]);
    replacement = { n: 1 };
    // The firing is tried again on a later pass of the leader.
    for (let i = 0; i < 12 && seen.length === 0; i++) {
      await clock.advance("10s");
      await turns();
    }
    await until(() => seen.length >= 1);
    expect(seen[0]).toEqual({ n: 1 });
  });

  it("an enqueue wrapper may change metadata only: id, name, queue, run time and sched. keys are refused", async () => {
    const changes: Array<[string, (job: Record<string, unknown>) => void]> = [
      ["id", (job) => (job.id = "evil-id")],
      ["name", (job) => (job.name = "other")],
      ["queue", (job) => (job.queue = "elsewhere")],
      ["scheduledAt", (job) => (job.scheduledAt = new Date(0))],
      ["sched.schedule", (job) => ((job.metadata as Record<string, string>)["sched.schedule"] = "nightly")],
    ];
    for (const [field, change] of changes) {
      const { s, store } = setup();
      s.use(
        withMembers({
          wrapEnqueue: (jobs, insert) => {
            for (const job of jobs) change(job as unknown as Record<string, unknown>);
            return insert();
          },
        }),
      );
      const error = await s.enqueue({ name: "a", payload: 1 }).catch((err: unknown) => err);
      expect(error, field).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message, field).toMatch(
        /^job: middleware \(wrapEnqueue, wrapTick\) may change only metadata/,
      );
      expect((await store.listJobs({})).jobs, field).toEqual([]);
    }
  });

  it("a schedule whose metadata fills maxMetadataBytes still fires under a tick wrapper (sched. keys not counted)", async () => {
    const { s, clock } = setup({ maxMetadataBytes: 200 });
    current = s;
    s.use(withMembers({ wrapTick: (_firing, fire) => fire() }));
    // {"k":"x…x"} is 8 bytes and the value: exactly the limit.
    await s.schedule("full", "* * * * *", () => {}, { metadata: { k: "x".repeat(192) } });
    await s.start();
    await clock.advance("1m");
    await until(async () => (await s.listJobs({ name: "full" })).jobs.length === 1);
    const [job] = (await s.listJobs({ name: "full" })).jobs;
    expect(job?.metadata["sched.schedule"]).toBe("full");
  });

  it("an enqueue wrapper's insert stores once, whatever the wrapper does with it", async () => {
    // Never called: nothing stored, and the enqueue fails instead of resolving with nothing.
    const skipped = setup();
    skipped.s.use(withMembers({ wrapEnqueue: async () => [] }));
    await expect(skipped.s.enqueue({ name: "a" })).rejects.toMatchObject({ code: "MIDDLEWARE_ERROR" });
    expect((await skipped.store.listJobs({})).jobs).toEqual([]);
    // Called twice, its result replaced: one job stored, and the enqueue returns it.
    const twice = setup();
    twice.s.use(
      withMembers({
        wrapEnqueue: async (_jobs, insert) => {
          await insert();
          await insert();
          return [];
        },
      }),
    );
    const job = await twice.s.enqueue({ name: "a" });
    expect((await twice.store.listJobs({})).jobs.map((stored) => stored.id)).toEqual([job.id]);
    // A wrapper that refuses before the insert: its own error, nothing stored.
    const refused = setup();
    refused.s.use(
      withMembers({
        wrapEnqueue: () => {
          throw new Error("tenant missing");
        },
      }),
    );
    await expect(refused.s.enqueue({ name: "a" })).rejects.toThrow("tenant missing");
    expect((await refused.store.listJobs({})).jobs).toEqual([]);
  });

  it("hooks carried by a middleware are installed with it", async () => {
    const { s } = setup();
    current = s;
    const enqueued: string[] = [];
    s.use(chain(withMembers({ hooks: [{ onEnqueue: (job) => enqueued.push(job.name) }] })));
    await s.enqueue({ name: "a" });
    expect(enqueued).toEqual(["a"]);
  });

  it("attach runs on start (or at once when running) and its cleanup after stop", async () => {
    const { s, clock } = setup();
    const log: string[] = [];
    let view: AttachedScheduler | null = null;
    const attach = (tag: string) => (scheduler: AttachedScheduler) => {
      view = scheduler;
      log.push(`attach ${tag}`);
      return () => log.push(`detach ${tag}`);
    };
    s.use(chain(withMembers({ attach: attach("a") }), withMembers({ attach: () => undefined })));
    expect(log).toEqual([]);
    await s.start();
    expect(log).toEqual(["attach a"]);
    s.use(withMembers({ attach: attach("b") }));
    expect(log).toEqual(["attach a", "attach b"]);
    const attached = view as unknown as AttachedScheduler;
    expect(attached.instanceId).toBe(s.instanceId);
    expect(attached.storeKey).toBe(s.store);
    expect(attached.now()).toBe(clock.now());
    await s.enqueue({ name: "n" });
    expect((await attached.stats()).pending).toBe(1);
    await s.stop({ timeout: 0 });
    expect(log).toEqual(["attach a", "attach b", "detach a", "detach b"]);
  });

  it("an attach or detach that throws is logged and does not stop the scheduler", async () => {
    const { s, logger } = setup();
    s.use(
      withMembers({
        attach: () => {
          throw new Error("boom");
        },
      }),
      withMembers({
        attach: () => () => {
          throw new Error("bang");
        },
      }),
    );
    await s.start();
    expect(s.running).toBe(true);
    await s.stop({ timeout: 0 });
    expect(s.status).toBe("stopped");
    expect(logger.lines.some((l) => l.includes("attach threw") && l.includes("boom"))).toBe(true);
    expect(logger.lines.some((l) => l.includes("detach threw") && l.includes("bang"))).toBe(true);
  });

  it("rejects malformed members, naming them", () => {
    const { s } = setup();
    expect(() => s.use(withMembers({ hooks: {} as never }))).toThrow(InvalidArgumentError);
    expect(() => s.use(withMembers({ wrapEnqueue: 1 as never }))).toThrow(/middleware\.wrapEnqueue/);
    expect(() => s.use(withMembers({ attach: "x" as never }))).toThrow(/middleware\.attach/);
  });
});

describe("failureOutcome", () => {
  const job = { retryCount: 0, maxRetries: 2 };
  it("classifies failures as the runtime does", () => {
    expect(failureOutcome(job, new Error("x"))).toBe("retry");
    expect(failureOutcome({ retryCount: 2, maxRetries: 2 }, new Error("x"))).toBe("dead");
    expect(failureOutcome(job, new PermanentError(new Error("x")))).toBe("dead");
    expect(failureOutcome(job, new ShuttingDownError("stop"))).toBe("interrupted");
    const controller = new AbortController();
    controller.abort(new ShuttingDownError("stop"));
    expect(failureOutcome(job, new Error("aborted"), controller.signal)).toBe("interrupted");
    // The abort reason tells a cancel and a lost lease: no retry follows either.
    const cancelled = new AbortController();
    cancelled.abort(new JobCancelledError());
    expect(failureOutcome(job, new Error("aborted"), cancelled.signal)).toBe("cancelled");
    const lost = new AbortController();
    lost.abort(new LeaseLostError());
    expect(failureOutcome({ retryCount: 2, maxRetries: 2 }, new Error("aborted"), lost.signal)).toBe(
      "leaseLost",
    );
    const timedOut = new AbortController();
    timedOut.abort(new JobTimeoutError(100));
    expect(failureOutcome(job, new Error("aborted"), timedOut.signal)).toBe("retry");
  });
});

describe("dependencies", () => {
  it("core depends on cron-parser only: nothing of OpenTelemetry, whose middleware is a separate package", async () => {
    const { readFile, readdir } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(["cron-parser"]);
    expect(pkg.peerDependencies).toBeUndefined();
    const src = new URL("../src/", import.meta.url);
    const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      expect(await readFile(new URL(file, src), "utf8"), file).not.toMatch(/from "@opentelemetry\//);
    }
  });
});
