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
