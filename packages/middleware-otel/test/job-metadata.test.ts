import { context, propagation } from "@opentelemetry/api";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { createScheduler, type Job, ManualClock, type Scheduler } from "@sched/core";
import { type RecordingLogger, recordingLogger, runUntilIdle } from "@sched/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type OtelOptions, otel } from "../src/index.js";
import { stoppedAfterEach, Telemetry } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();
afterEach(() => propagation.disable());

function setup(schedulerOptions: Parameters<typeof createScheduler>[0] = {}, otelOptions: OtelOptions = {}) {
  const t = new Telemetry();
  telemetry.push(t);
  const logger = recordingLogger();
  const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
  const s = createScheduler({ clock, logger, ...schedulerOptions });
  started.push(s);
  s.use(otel({ tracerProvider: t.tracerProvider, ...otelOptions }));
  return { s, t, clock, logger };
}

/** Metadata whose JSON is `bytes` long: `{"note":"xx…"}`. */
function metadataOf(bytes: number): Record<string, string> {
  return { note: "x".repeat(bytes - '{"note":""}'.length) };
}

function limitWarnings(logger: RecordingLogger) {
  return logger.lines.filter((line) => line.message.includes("maxMetadataBytes"));
}

/** Enqueues inside an active span of the application, as a request handler would. */
function enqueueInRequest(s: Scheduler, t: Telemetry, metadata: Record<string, string>): Promise<Job> {
  return t.tracerProvider.getTracer("app").startActiveSpan("POST /report", async (span) => {
    try {
      return await s.enqueue({ name: "report", metadata });
    } finally {
      span.end();
    }
  });
}

describe("the scheduler's metadata limit", () => {
  it("a schedule whose metadata nearly fills it still fires, its jobs without trace context, with one warning", async () => {
    const { s, t, clock, logger } = setup();
    const ran: Job[] = [];
    // Within the default 16 KiB (the scheduler does not count the tick's own sched. keys); a
    // traceparent would take it past.
    await s.schedule(
      "minutely",
      "* * * * *",
      (job) => {
        ran.push(job);
      },
      { metadata: metadataOf(16_350) },
    );
    await s.start();
    for (let minute = 1; minute <= 3; minute++) {
      await clock.advance("1m");
      await runUntilIdle(s, { clock });
    }
    expect(ran).toHaveLength(3);
    for (const job of ran) expect(job.metadata.traceparent).toBeUndefined();
    expect(t.spans("tick minutely").map((span) => span.status.code)).toEqual([0, 0, 0]);
    expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
    expect(limitWarnings(logger)).toEqual([
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ name: "minutely", maxMetadataBytes: 16_384 }),
      }),
    ]);
  });

  it("an enqueue whose metadata nearly fills it is stored without trace context instead of refused", async () => {
    const { s, t, logger } = setup();
    await s.start();
    const big = await enqueueInRequest(s, t, metadataOf(16_375));
    expect(big.metadata.traceparent).toBeUndefined();
    expect((await s.getJob(big.id))?.metadata).toEqual(metadataOf(16_375));
    // A job with room for it still carries it.
    const small = await enqueueInRequest(s, t, metadataOf(100));
    expect(small.metadata.traceparent).toMatch(/^00-/);
    expect(limitWarnings(logger)).toHaveLength(1);
  });

  it("keeps a lower limit given as maxMetadataBytes", async () => {
    const { s, t } = setup({ maxMetadataBytes: 1024 }, { maxMetadataBytes: 1024 });
    await s.start();
    const job = await enqueueInRequest(s, t, metadataOf(1000));
    expect(job.metadata.traceparent).toBeUndefined();
    expect((await enqueueInRequest(s, t, metadataOf(900))).metadata.traceparent).toMatch(/^00-/);
  });
});

describe("what the propagator writes", () => {
  it("a field no store can keep is left out, with one warning, and the job is stored", async () => {
    const { s, t, logger } = setup(
      {},
      {
        propagator: {
          inject: (_context, carrier, setter) => setter.set(carrier, "x-trace", "span\u0000id"),
          extract: (context) => context,
          fields: () => ["x-trace"],
        },
      },
    );
    await s.start();
    const job = await enqueueInRequest(s, t, {});
    expect(job.metadata).toEqual({});
    expect(logger.lines.filter((line) => line.message.includes("cannot store"))).toEqual([
      expect.objectContaining({
        level: "warn",
        fields: { name: "report", queue: "default", field: "x-trace" },
      }),
    ]);
  });
});

describe("baggage", () => {
  // An incoming request's headers, as an HTTP instrumentation extracts them with the SDK's
  // global propagator (trace context and baggage).
  const incoming = {
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    tracestate: "vendor=opaque",
    baggage: "session.token=abc123SECRET,user.email=a%40b.c",
  };

  async function enqueueWithBaggage(options: OtelOptions): Promise<Job> {
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    const { s } = setup({}, options);
    const request = propagation.extract(context.active(), incoming);
    return context.with(request, () => s.enqueue({ name: "report" }));
  }

  it("by default only the trace context travels in job metadata, not the request's baggage", async () => {
    const job = await enqueueWithBaggage({});
    expect(Object.keys(job.metadata).sort()).toEqual(["traceparent", "tracestate"]);
    expect(job.metadata.traceparent).toContain("0af7651916cd43dd8448eb211c80319c");
    expect(job.metadata.tracestate).toBe("vendor=opaque");
  });

  it("with propagateBaggage the baggage travels too", async () => {
    const job = await enqueueWithBaggage({ propagateBaggage: true });
    expect(Object.keys(job.metadata).sort()).toEqual(["baggage", "traceparent", "tracestate"]);
    expect(job.metadata.baggage).toContain("session.token=abc123SECRET");
  });
});
