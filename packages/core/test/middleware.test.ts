import { afterEach, describe, expect, it } from "vitest";
import { type StandardSchemaV1, typedHandler } from "../src/handlers/typed-handler.js";
import { chain } from "../src/middleware/chain.js";
import { logging } from "../src/middleware/logging.js";
import { METRIC_NAMES, metrics } from "../src/middleware/metrics.js";
import type { Middleware } from "../src/middleware/middleware.js";
import { recovery } from "../src/middleware/recovery.js";
import { timeout } from "../src/middleware/timeout.js";
import type { Scheduler } from "../src/scheduler.js";
import { recordingLogger, setup, until } from "./helpers.js";

let current: Scheduler | null = null;
afterEach(async () => {
  await current?.stop({ timeout: 0 });
  current = null;
});

const tag =
  (name: string, log: string[]): Middleware =>
  (next) =>
  async (job, ctx) => {
    log.push(`${name}>`);
    await next(job, ctx);
    log.push(`<${name}`);
  };

describe("middleware", () => {
  it("wraps handlers in order: the first given is the outermost", async () => {
    const { s } = setup();
    current = s;
    const log: string[] = [];
    s.register("j", () => {
      log.push("handler");
    });
    s.use(tag("a", log), chain(tag("b", log), tag("c", log)));
    await s.start();
    await s.enqueue({ name: "j" });
    await until(() => log.length === 7);
    expect(log).toEqual(["a>", "b>", "c>", "handler", "<c", "<b", "<a"]);
  });

  it("logging logs start, completion and failure without the payload", async () => {
    const { s } = setup();
    current = s;
    const logger = recordingLogger();
    s.use(logging(logger));
    s.register("ok", () => {});
    s.register("bad", () => {
      throw new Error("nope");
    });
    await s.start();
    await s.enqueue({ name: "ok", payload: { secret: "hunter2" } });
    await s.enqueue({ name: "bad", maxRetries: 0 });
    await until(() => logger.lines.filter((l) => !l.startsWith("debug")).length === 2);
    expect(logger.lines.some((l) => l.startsWith("info job completed") && l.includes('"name":"ok"'))).toBe(
      true,
    );
    expect(logger.lines.some((l) => l.startsWith("warn job failed") && l.includes("nope"))).toBe(true);
    expect(logger.lines.join("\n")).not.toContain("hunter2");
  });

  it("recovery turns non-Error throws into Errors and logs them", async () => {
    const logger = recordingLogger();
    const wrapped = recovery(logger)(() => {
      throw 42;
    });
    const ctx = { signal: new AbortController().signal, attempt: 1, logger, heartbeat: async () => {} };
    const err = await Promise.resolve(wrapped({ id: "1", name: "n" } as never, ctx)).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("non-Error thrown: 42");
    expect(logger.lines[0]).toContain("job handler threw");
  });

  it("timeout fails a slow attempt and aborts its signal", async () => {
    const wrapped = timeout("20ms")(
      (_job, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => resolve());
        }),
    );
    const logger = recordingLogger();
    const ctx = { signal: new AbortController().signal, attempt: 1, logger, heartbeat: async () => {} };
    await expect(Promise.resolve(wrapped({} as never, ctx))).rejects.toMatchObject({ code: "JOB_TIMEOUT" });
    const fast = timeout("1s")(() => {});
    await expect(Promise.resolve(fast({} as never, ctx))).resolves.toBeUndefined();
    await expect(Promise.resolve(timeout(0)(() => {})({} as never, ctx))).resolves.toBeUndefined();
  });

  it("timeout keeps a limit past one Node.js timer's longest wait (24.8 days) whole", async () => {
    // One timer of 30 days would fire after 1 ms: the attempt failed at once.
    const slowish = timeout("30d")(() => new Promise<void>((resolve) => setTimeout(resolve, 30)));
    const logger = recordingLogger();
    const ctx = { signal: new AbortController().signal, attempt: 1, logger, heartbeat: async () => {} };
    await expect(Promise.resolve(slowish({} as never, ctx))).resolves.toBeUndefined();
  });

  it("metrics counts outcomes and records durations with bounded labels", async () => {
    const { s } = setup();
    current = s;
    const counts: Record<string, number> = {};
    const observed: Array<[string, Record<string, string>]> = [];
    s.use(
      metrics({
        increment: (m, labels) => {
          counts[`${m}:${labels.name}`] = (counts[`${m}:${labels.name}`] ?? 0) + 1;
        },
        observe: (m, _v, labels) => observed.push([m, labels]),
      }),
    );
    s.register("ok", () => {});
    s.register("bad", () => {
      throw new Error("x");
    });
    await s.start();
    await s.enqueue({ name: "ok" });
    await s.enqueue({ name: "bad", maxRetries: 0 });
    await until(
      () =>
        (counts[`${METRIC_NAMES.failed}:bad`] ?? 0) === 1 &&
        (counts[`${METRIC_NAMES.completed}:ok`] ?? 0) === 1,
    );
    expect(counts[`${METRIC_NAMES.started}:ok`]).toBe(1);
    expect(
      observed
        .filter(([m]) => m === METRIC_NAMES.duration)
        .map(([, l]) => l.outcome)
        .sort(),
    ).toEqual(["completed", "failed"]);
    for (const [, labels] of observed)
      expect(Object.keys(labels).every((k) => ["name", "queue", "outcome"].includes(k))).toBe(true);
  });
});

describe("typedHandler", () => {
  const schema: StandardSchemaV1<unknown, { userId: number }> = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) =>
        typeof value === "object" &&
        value !== null &&
        typeof (value as { userId?: unknown }).userId === "number"
          ? { value: { userId: (value as { userId: number }).userId } }
          : { issues: [{ message: "userId must be a number", path: ["userId"] }] },
    },
  };

  it("passes the validated payload to the handler", async () => {
    const { s } = setup();
    current = s;
    const seen: number[] = [];
    s.register(
      "welcome",
      typedHandler((p: { userId: number }) => {
        seen.push(p.userId);
      }, schema),
    );
    await s.start();
    await s.enqueue({ name: "welcome", payload: { userId: 42 } });
    await until(() => seen.length === 1);
    expect(seen).toEqual([42]);
  });

  it("sends a payload that fails validation straight to the dead-letter queue", async () => {
    const { s } = setup();
    current = s;
    let runs = 0;
    s.register(
      "welcome",
      typedHandler(() => {
        runs++;
      }, schema),
    );
    await s.start();
    const job = await s.enqueue({ name: "welcome", payload: { userId: "x" }, maxRetries: 5 });
    await until(async () => (await s.getJob(job.id))?.status === "dead");
    expect(runs).toBe(0);
    expect((await s.getJob(job.id))?.error).toContain("userId must be a number");
  });

  it("works without a schema", async () => {
    const { s } = setup();
    current = s;
    const seen: unknown[] = [];
    s.register(
      "raw",
      typedHandler((p: string) => {
        seen.push(p);
      }),
    );
    await s.start();
    await s.enqueue({ name: "raw", payload: "hi" });
    await until(() => seen.length === 1);
    expect(seen).toEqual(["hi"]);
  });
});
