import type {
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Span,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createScheduler, ManualClock } from "@sched/core";
import { type RecordingLogger, recordingLogger, runUntilIdle } from "@sched/testing";
import { describe, expect, it } from "vitest";
import { type OtelOptions, otel, SCOPE_NAME } from "../src/index.js";
import { stoppedAfterEach, Telemetry } from "./harness.js";

const { started, telemetry } = stoppedAfterEach();

function newTelemetry(): Telemetry {
  const t = new Telemetry();
  telemetry.push(t);
  return t;
}

/** A card number in a payload: it must never reach a log line. */
const SECRET = "4242-4242-4242-4242";

/**
 * Runs a job that completes, a job that fails for good and a schedule's tick under `options`, and
 * checks that each ends as it would without telemetry: the enqueue resolves with the stored job,
 * each handler runs once, and its own result (or error) is what the scheduler records.
 */
async function expectJobsUnaffected(options: OtelOptions): Promise<RecordingLogger> {
  const logger = recordingLogger();
  const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
  const s = createScheduler({ clock, logger, random: () => 0.5, retry: { initialDelay: "1s", jitter: 0 } });
  started.push(s);
  s.use(otel(options));
  let charges = 0;
  let ticks = 0;
  s.register("charge_card", () => {
    charges++;
  });
  s.register("boom", () => {
    throw new Error("handler error");
  });
  await s.schedule("minutely", "* * * * *", () => {
    ticks++;
  });
  await s.start();
  const charge = await s.enqueue({ name: "charge_card", payload: { card: SECRET } });
  expect((await s.getJob(charge.id))?.id).toBe(charge.id);
  const boom = await s.enqueue({ name: "boom", maxRetries: 1 });
  await runUntilIdle(s, { clock });
  await clock.advance("1m");
  await runUntilIdle(s, { clock });

  expect(charges).toBe(1);
  expect(await s.getJob(charge.id)).toMatchObject({ status: "completed", retryCount: 0 });
  expect(await s.getJob(boom.id)).toMatchObject({ status: "dead", retryCount: 1, error: "handler error" });
  expect(ticks).toBe(1);
  expect(logger.lines.filter((line) => line.level === "error")).toEqual([]);
  expect(JSON.stringify(logger.lines)).not.toContain(SECRET);
  return logger;
}

/** The warnings that report telemetry faults. */
function faultReports(logger: RecordingLogger) {
  return logger.lines.filter((line) => line.message.startsWith("OpenTelemetry threw"));
}

/** The real SDK's tracer, except that `method` of the tracer or of its spans throws. */
function tracerThrowingIn(t: Telemetry, method: string): TracerProvider {
  const real = t.tracerProvider.getTracer(SCOPE_NAME);
  const failing = () => {
    throw new Error(`exporter bug in ${method}`);
  };
  const wrap = (span: Span): Span =>
    new Proxy(span, {
      get(target, key) {
        if (key === method) return failing;
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const tracer: Tracer = {
    startSpan: (...args) => (method === "startSpan" ? failing() : wrap(real.startSpan(...args))),
    startActiveSpan: real.startActiveSpan.bind(real) as Tracer["startActiveSpan"],
  };
  return { getTracer: () => tracer };
}

/** The real SDK's meter, except that its counters' `add` and histograms' `record` throw. */
function meterThrowingOnRecord(t: Telemetry): MeterProvider {
  const real = t.meterProvider.getMeter(SCOPE_NAME);
  const failing = () => {
    throw new Error("metrics bug");
  };
  const meter: Meter = Object.assign(Object.create(real) as Meter, {
    createCounter: (...args: Parameters<Meter["createCounter"]>): Counter =>
      Object.assign(real.createCounter(...args), { add: failing }),
    createHistogram: (...args: Parameters<Meter["createHistogram"]>): Histogram =>
      Object.assign(real.createHistogram(...args), { record: failing }),
  });
  return { getMeter: () => meter };
}

describe("telemetry that throws never changes what happens to jobs", () => {
  it("a span processor whose onEnd throws: enqueue resolves, handlers run once, outcomes are the handlers'", async () => {
    const exporter = new InMemorySpanExporter();
    const buggy: SpanProcessor = {
      onStart() {},
      onEnd(_span: ReadableSpan) {
        throw new Error("redaction processor bug");
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter), buggy],
    });
    try {
      const logger = await expectJobsUnaffected({ tracerProvider });
      // Every span still reached the exporter before the buggy processor threw.
      const names = exporter.getFinishedSpans().map((span) => span.name);
      expect(names).toEqual(expect.arrayContaining(["send default", "process default", "tick minutely"]));
      // Reported once, however many spans ended.
      expect(faultReports(logger)).toEqual([
        expect.objectContaining({ level: "warn", fields: { error: "redaction processor bug" } }),
      ]);
    } finally {
      await tracerProvider.shutdown();
    }
  });

  it.each(["startSpan", "end", "setAttribute", "recordException", "setStatus", "addEvent"])(
    "a tracer whose %s throws",
    async (method) => {
      const t = newTelemetry();
      const logger = await expectJobsUnaffected({
        tracerProvider: tracerThrowingIn(t, method),
        meterProvider: t.meterProvider,
      });
      expect(faultReports(logger)).toHaveLength(1);
    },
  );

  it.each(["inject", "extract"] as const)("a propagator whose %s throws", async (method) => {
    const t = newTelemetry();
    const logger = await expectJobsUnaffected({
      tracerProvider: t.tracerProvider,
      propagator: {
        inject(_context, carrier, setter) {
          if (method === "inject") throw new Error("inject bug");
          setter.set(carrier, "traceparent", `00-${"a".repeat(32)}-${"b".repeat(16)}-01`);
        },
        extract(context) {
          if (method === "extract") throw new Error("extract bug");
          return context;
        },
        fields: () => ["traceparent"],
      },
    });
    expect(faultReports(logger)).toEqual([expect.objectContaining({ fields: { error: `${method} bug` } })]);
  });

  it("metric instruments whose add and record throw", async () => {
    const t = newTelemetry();
    const logger = await expectJobsUnaffected({
      tracerProvider: t.tracerProvider,
      meterProvider: meterThrowingOnRecord(t),
    });
    expect(faultReports(logger)).toEqual([expect.objectContaining({ fields: { error: "metrics bug" } })]);
    // The traces are whole.
    const outcomes = t.spans("process default").map((span) => span.attributes["sched.job.outcome"]);
    expect(outcomes.sort()).toEqual(["completed", "completed", "dead", "retry"]);
  });

  it("a throw before any scheduler has started is swallowed without a logger to tell", async () => {
    const t = newTelemetry();
    const s = createScheduler({ logger: recordingLogger() });
    started.push(s);
    s.use(otel({ tracerProvider: tracerThrowingIn(t, "end") }));
    const job = await s.enqueue({ name: "later" });
    expect((await s.getJob(job.id))?.status).toBe("pending");
  });
});
