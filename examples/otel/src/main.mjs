// @ts-check
/**
 * @sched with OpenTelemetry: the SDK with the console exporters, an in-memory scheduler using
 * `otel({ tracerProvider, meterProvider })`, jobs enqueued inside an `http request` span whose
 * trace their `process default` spans continue, a job that fails once and is retried, a schedule
 * whose firing is a `tick heartbeat` root span, and the metrics exported at the end. The console
 * exporters print every span as it ends and the metrics once; the process then exits on its own.
 *
 * Run: `pnpm --filter @sched/example-otel start` (after building @sched/core and
 * @sched/middleware-otel).
 */
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createScheduler } from "@sched/core";
import { otel } from "@sched/middleware-otel";

const startedAt = Date.now();

/** Prints a line with the time since start, between the spans the exporter prints. */
function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}

/** The trace id of the span active where it is called: shows which trace the code runs in. */
function activeTraceId() {
  return trace.getActiveSpan()?.spanContext().traceId ?? "(none)";
}

/** A promise and the function that resolves it: "this has happened". */
function milestone() {
  /** @type {() => void} */
  let reached = () => {};
  /** @type {Promise<void>} */
  const promise = new Promise((resolve) => {
    reached = resolve;
  });
  return { promise, reached };
}

// The example must end on its own; if it does not, say so and fail instead of hanging.
const watchdog = setTimeout(() => {
  console.error("the example did not finish within 15 s");
  process.exit(1);
}, 15_000);
watchdog.unref();

// The OpenTelemetry SDK, as an application sets it up once at startup. The context manager carries
// the active span across `await`; the propagator is the one the SDK registers by default.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
// Each span is printed as soon as it ends.
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
// Metrics are printed once, at the end (the periodic export would run every minute).
const metricReader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(),
  exportIntervalMillis: 60_000,
});
const meterProvider = new MeterProvider({ readers: [metricReader] });

const scheduler = createScheduler({
  workers: 2,
  pollInterval: "100ms",
  // A short backoff, so the retry of the failing job shows within the demo.
  retry: { maxAttempts: 3, initialDelay: "100ms", multiplier: 2 },
  // The scheduler's own lines (a failed attempt is a warning), between the spans.
  logger: {
    debug() {},
    info: (message) => log(`info  ${message}`),
    warn: (message) => log(`warn  ${message}`),
    error: (message) => log(`error ${message}`),
  },
});
scheduler.use(otel({ tracerProvider, meterProvider }));

const receiptSent = milestone();
const crmSynced = milestone();
const heartbeatRan = milestone();

scheduler.register(
  "send_receipt",
  async (/** @type {import("@sched/core").Job<{ orderId: string }>} */ job) => {
    log(`handler send_receipt for order ${job.payload.orderId}, in trace ${activeTraceId()}`);
    receiptSent.reached();
  },
);

// Fails on its first attempt: the attempt's span records the error and `sched.job.outcome: 'retry'`.
scheduler.register("sync_crm", async (_job, ctx) => {
  log(`handler sync_crm attempt ${ctx.attempt}, in trace ${activeTraceId()}`);
  if (ctx.attempt === 1) throw new Error("CRM unavailable");
  crmSynced.reached();
});

// Each firing is a root span `tick heartbeat`; the job it creates carries that span's context.
await scheduler
  .every(1)
  .seconds()
  .do("heartbeat", () => {
    log(`handler heartbeat, in trace ${activeTraceId()}`);
    heartbeatRan.reached();
  });

await scheduler.start();
log("scheduler started");

// An incoming request, as an HTTP instrumentation would start it: the jobs enqueued while it is
// active get `send default` spans in its trace, and their attempts continue that trace.
const tracer = tracerProvider.getTracer("example-app");
await tracer.startActiveSpan("http request", { kind: SpanKind.SERVER }, async (span) => {
  log(`http request in trace ${activeTraceId()}`);
  try {
    const receipt = await scheduler.enqueue({ name: "send_receipt", payload: { orderId: "A-1001" } });
    const sync = await scheduler.enqueue({ name: "sync_crm" });
    log(`enqueued send_receipt with metadata ${JSON.stringify(receipt.metadata)}`);
    log(`enqueued sync_crm with metadata ${JSON.stringify(sync.metadata)}`);
  } finally {
    span.end();
  }
});

await Promise.all([receiptSent.promise, crmSynced.promise, heartbeatRan.promise]);

// Wait until nothing waits or runs any more: every attempt's span has ended and been counted.
for (;;) {
  const stats = await scheduler.stats();
  if (stats.pending + stats.running + stats.failed === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}

// Shutting the meter provider down exports the metrics one last time (as `forceFlush()` would,
// without the second, identical export that shutting down after a flush makes). It comes before
// `stop()`: the queue gauges read the job counts of a running scheduler only.
log("exporting the metrics");
await meterProvider.shutdown();

await scheduler.stop({ timeout: "5s" });
await tracerProvider.shutdown();
log("scheduler stopped, providers shut down; the process exits on its own");
