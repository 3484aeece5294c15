import { SpanStatusCode } from "@opentelemetry/api";
import { createScheduler, ManualClock, rateLimited } from "@sched/core";
import { describe, expect, it } from "vitest";
import { ATTR, METRICS, otel } from "../src/index.js";
import { deferred, histogram, quiet, stoppedAfterEach, Telemetry, total, until } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();

function setup(options: Parameters<typeof createScheduler>[0] = {}) {
  const t = new Telemetry();
  telemetry.push(t);
  const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
  const s = createScheduler({ clock, logger: quiet, random: () => 0.5, ...options });
  started.push(s);
  s.use(otel({ tracerProvider: t.tracerProvider, meterProvider: t.meterProvider }));
  return { s, t, clock };
}

/** How many attempts the duration histogram holds, of `outcome` when given. */
function durations(m: Awaited<ReturnType<Telemetry["collect"]>>, outcome?: string): number {
  const subset = outcome === undefined ? {} : { [ATTR.outcome]: outcome };
  return histogram(m.get(METRICS.duration), subset).reduce((n, h) => n + h.count, 0);
}

describe("attempts the runtime ends while the handler runs on", () => {
  it("a timed-out attempt whose handler ignores ctx.signal is recorded when it times out, once", async () => {
    const { s, t, clock } = setup();
    const never = deferred();
    let runs = 0;
    s.register(
      "call_partner",
      async () => {
        runs++;
        await never.promise; // e.g. fetch() without ctx.signal
      },
      { timeout: "1s" },
    );
    await s.start();
    const job = await s.enqueue({ name: "call_partner", maxRetries: 0 });
    await until(() => runs === 1);
    await clock.advance("1s");
    await until(async () => (await s.getJob(job.id))?.status === "dead");

    const run = t.span("process default");
    expect(run.attributes[ATTR.outcome]).toBe("dead");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.attributes[ATTR.errorType]).toBe("JobTimeoutError");
    expect(run.events.map((event) => event.name)).toEqual(["exception", "sched.job.dead_letter"]);
    const m = await t.collect();
    expect(total(m.get(METRICS.failed), { [ATTR.outcome]: "dead" })).toBe(1);
    expect(durations(m)).toBe(1);

    // The handler settles long after: nothing more is recorded.
    never.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.spans("process default")).toHaveLength(1);
    const after = await t.collect();
    expect(total(after.get(METRICS.failed))).toBe(1);
    expect(total(after.get(METRICS.completed))).toBe(0);
    expect(durations(after)).toBe(1);
  });

  it("an attempt stopped by shutdown whose handler ignores ctx.signal is recorded as interrupted", async () => {
    const { s, t } = setup();
    const running = deferred();
    s.register("long", async () => {
      running.resolve();
      await new Promise(() => {});
    });
    await s.start();
    await s.enqueue({ name: "long" });
    await running.promise;
    await s.stop({ timeout: 0 });
    const run = t.span("process default");
    expect(run.attributes[ATTR.outcome]).toBe("interrupted");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(total((await t.collect()).get(METRICS.failed), { [ATTR.outcome]: "interrupted" })).toBe(1);
  });
});

describe("outcomes", () => {
  it("a cancelled attempt is labelled cancelled, without a retry event", async () => {
    const { s, t } = setup();
    const running = deferred();
    s.register("export_report", (_job, ctx) => {
      running.resolve();
      return new Promise<void>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
      });
    });
    await s.start();
    const job = await s.enqueue({ name: "export_report" });
    await running.promise;
    await s.cancel(job.id);
    await until(() => t.spans("process default").length === 1);
    const run = t.span("process default");
    expect(run.attributes[ATTR.outcome]).toBe("cancelled");
    expect(run.events.map((event) => event.name)).toEqual(["exception"]);
    const m = await t.collect();
    expect(total(m.get(METRICS.failed), { [ATTR.outcome]: "cancelled" })).toBe(1);
    expect(total(m.get(METRICS.retried))).toBe(0);
  });

  it("rateLimited() is the handler's signal, not a failure: no error status, counted as rate limited", async () => {
    const { s, t } = setup();
    let runs = 0;
    s.register("call_partner", () => {
      runs++;
      throw rateLimited("30s");
    });
    await s.start();
    const job = await s.enqueue({ name: "call_partner" });
    await until(() => runs === 1 && t.spans("process default").length === 1);
    await until(async () => (await s.getJob(job.id))?.status !== "running");

    const run = t.span("process default");
    expect(run.attributes[ATTR.outcome]).toBe("rateLimited");
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes[ATTR.errorType]).toBeUndefined();
    expect(run.events).toEqual([]);
    const m = await t.collect();
    expect(total(m.get(METRICS.failed))).toBe(0);
    expect(total(m.get(METRICS.rateLimited), { [ATTR.jobName]: "call_partner" })).toBe(1);
    expect(durations(m, "rateLimited")).toBe(1);
    expect((await s.getJob(job.id))?.retryCount).toBe(0);
  });
});
