import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { JobCancelledError, JobTimeoutError } from "../src/errors.js";
import { deferred, setup, turns, until } from "./helpers.js";

describe("a job's context is made when the handler reads it", () => {
  it("ctx.signal read only after the timeout is aborted already, with the timeout as reason", async () => {
    const failed = deferred<unknown>();
    const { s, clock } = setup({ hooks: [{ afterJob: (_job, err) => failed.resolve(err) }] });
    const timedOut = deferred();
    const started = deferred();
    const seen = deferred<{ aborted: boolean; reason: unknown }>();
    s.register("slow", async (_job, ctx) => {
      started.resolve();
      await timedOut.promise;
      seen.resolve({ aborted: ctx.signal.aborted, reason: ctx.signal.reason });
    });
    await s.start();
    await s.enqueue({ name: "slow", payload: {}, timeout: "1s", maxRetries: 0 });
    await started.promise;
    await clock.advance(1_000);
    expect(await failed.promise).toBeInstanceOf(JobTimeoutError);
    timedOut.resolve();
    const { aborted, reason } = await seen.promise;
    expect(aborted).toBe(true);
    expect(reason).toBeInstanceOf(JobTimeoutError);
    await s.stop();
  });

  it("ctx.signal read before a cancel fires its listener once, with the first reason", async () => {
    const { s } = setup();
    const reasons: unknown[] = [];
    const started = deferred();
    s.register("long", async (_job, ctx) => {
      ctx.signal.addEventListener("abort", () => reasons.push(ctx.signal.reason));
      started.resolve();
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    await s.start();
    const job = await s.enqueue({ name: "long", payload: {} });
    await started.promise;
    await s.cancel(job.id);
    await until(() => reasons.length === 1);
    await turns();
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(JobCancelledError);
    await s.stop();
  });

  it("ctx.logger adds the job's id and name; ctx.attempt is the attempt", async () => {
    const { s, logger } = setup();
    const done = deferred<number>();
    s.register("noisy", async (_job, ctx) => {
      ctx.logger.info("working", { step: 1 });
      done.resolve(ctx.attempt);
    });
    await s.start();
    const job = await s.enqueue({ name: "noisy", payload: {} });
    expect(await done.promise).toBe(1);
    expect(logger.lines).toContain(
      `info working ${JSON.stringify({ jobId: job.id, name: "noisy", step: 1 })}`,
    );
    await s.stop();
  });
});

describe("middleware may put its own signal and logger in the context", () => {
  it("ctx.logger and ctx.signal assigned by middleware are what the handler reads", async () => {
    const { s, logger } = setup();
    const own = new AbortController();
    const seen = deferred<{ signal: AbortSignal; same: boolean }>();
    s.use((next) => async (job, ctx) => {
      ctx.logger = { ...logger, info: (message) => logger.info(`[tenant] ${message}`) };
      ctx.signal = AbortSignal.any([ctx.signal, own.signal]);
      return next(job, ctx);
    });
    s.register("wrapped", async (_job, ctx) => {
      ctx.logger.info("inside");
      const first = ctx.signal;
      seen.resolve({ signal: first, same: first === ctx.signal });
    });
    await s.start();
    await s.enqueue({ name: "wrapped", payload: {} });
    const { signal, same } = await seen.promise;
    expect(same).toBe(true);
    expect(signal.aborted).toBe(false);
    own.abort(new Error("tenant gone"));
    expect(signal.aborted).toBe(true);
    expect(logger.lines).toContain("info [tenant] inside");
    await s.stop();
  });
});

describe("a context behaves as an object with four own fields", () => {
  it("spread, keys, `in`, destructuring and fields of middleware's own work; freezing and deleting are refused", async () => {
    const { s } = setup();
    const own = new AbortController();
    const seen = deferred<Record<string, unknown>>();
    let original: Record<string, unknown> | null = null;
    s.use((next) => async (job, ctx) => {
      original = ctx as unknown as Record<string, unknown>;
      (ctx as unknown as Record<string, unknown>).tenant = "acme";
      // A copy made with spread keeps every field, the one middleware added included.
      return next(job, { ...ctx, signal: own.signal });
    });
    s.register("ctx", async (_job, ctx) => {
      const { heartbeat, attempt, logger } = ctx;
      const copy = { ...ctx } as unknown as Record<string, unknown>;
      seen.resolve({
        keys: Object.keys(ctx),
        copyKeys: Object.keys(copy),
        inSignal: "signal" in ctx,
        attempt,
        sameSignal: ctx.signal === own.signal,
        hasLogger: typeof logger.info === "function",
        heartbeat: await heartbeat().then(() => "renewed"),
        tenant: copy.tenant,
        json: JSON.parse(JSON.stringify({ attempt: ctx.attempt, tenant: copy.tenant })),
      });
    });
    await s.start();
    await s.enqueue({ name: "ctx", payload: "card=s3cret" });
    expect(await seen.promise).toEqual({
      keys: ["signal", "attempt", "logger", "heartbeat", "tenant"],
      copyKeys: ["signal", "attempt", "logger", "heartbeat", "tenant"],
      inSignal: true,
      attempt: 1,
      sameSignal: true,
      hasLogger: true,
      heartbeat: "renewed",
      tenant: "acme",
      json: { attempt: 1, tenant: "acme" },
    });
    const ctx = original as unknown as Record<string, unknown>;
    expect(Object.keys(ctx)).toEqual(["signal", "attempt", "logger", "heartbeat", "tenant"]);
    expect(ctx.tenant).toBe("acme");
    ctx.attempt = 7;
    expect(ctx.attempt).toBe(7);
    Object.defineProperty(ctx, "attempt", { value: 9, writable: true, enumerable: true, configurable: true });
    expect(ctx.attempt).toBe(9);
    expect(() => Object.defineProperty(ctx, "signal", { get: () => null })).toThrow(TypeError);
    Object.defineProperty(ctx, "region", { value: "eu", enumerable: true, configurable: true });
    expect(Object.getOwnPropertyDescriptor(ctx, "region")?.value).toBe("eu");
    expect(Object.getOwnPropertyDescriptor(ctx, "attempt")).toMatchObject({ value: 9, enumerable: true });
    ctx.attempt = 7;
    expect(() => Object.freeze(ctx)).toThrow(TypeError);
    expect(() => delete ctx.signal).toThrow(TypeError);
    expect(delete ctx.tenant).toBe(true);
    expect("tenant" in ctx).toBe(false);
    // Printing a context shows its fields, not the job it runs (whose payload may be secret).
    const printed = inspect(ctx);
    expect(printed).toContain("attempt: 7");
    expect(printed).not.toContain("s3cret");
    expect(inspect(ctx, { depth: 10 })).not.toContain("s3cret");
    // The job's logger, made by the handler above, prints and serialises without its job.
    expect(inspect(ctx.logger, { depth: 10 })).toBe("[job logger]");
    expect(JSON.stringify({ ...ctx, signal: undefined })).not.toContain("s3cret");
    await s.stop();
  });
});
