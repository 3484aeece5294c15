import {
  type Attributes,
  type Context,
  context,
  createNoopMeter,
  type Link,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import {
  type AttachedScheduler,
  type Duration,
  type EnqueueWrapper,
  type Hook,
  InvalidArgumentError,
  type Job,
  type Middleware,
  type OutgoingJob,
  parseDuration,
  type TickWrapper,
} from "@sched/core";
import { describeValue, readOptions } from "@sched/core/adapter";
import { AttemptRecorder } from "./attempt-recorder.js";
import { AttributeSets } from "./attribute-sets.js";
import { DEFAULT_MAX_METADATA_BYTES, MetadataInjector } from "./metadata-injector.js";
import { ATTR, MESSAGING_SYSTEM, METRICS, SECONDS_BUCKETS } from "./names.js";
import { endSpan, isNoop, markError, runInContext } from "./spans.js";
import { StatsCache } from "./stats-cache.js";
import { TelemetryFaults } from "./telemetry-faults.js";
import { w3cTraceContext } from "./trace-context.js";

declare const __VERSION__: string;

/** The instrumentation scope name of the tracer and meter. */
export const SCOPE_NAME = "@sched/middleware-otel";

/** Options of {@link otel}. */
export interface OtelOptions {
  /** Where spans go; default the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go; default the global meter provider (`metrics.getMeterProvider()`), read when `otel()` is called. */
  meterProvider?: MeterProvider;
  /**
   * Writes and reads the trace context in job metadata. Default: the global propagator when one is
   * registered (as the OpenTelemetry SDK does), else W3C Trace Context (`traceparent`, `tracestate`).
   */
  propagator?: TextMapPropagator;
  /**
   * Whether the W3C baggage of the enqueuing context is written into job metadata too. Default
   * `false`: the context is written without its baggage (with the W3C propagators, only
   * `traceparent` and `tracestate` are stored), for baggage may carry secrets such as session
   * tokens, and kilobytes, into every job. `true` keeps all the propagator writes.
   */
  propagateBaggage?: boolean;
  /**
   * The scheduler's `maxMetadataBytes` (bytes of JSON), if you changed it; default 16384, the
   * scheduler's default; `0` for no limit. The trace context is not written into a job whose
   * metadata it would take past this limit (the job would be refused): that job runs without a
   * link to its producer, and a warning is logged once.
   */
  maxMetadataBytes?: number;
  /**
   * How an attempt's consumer span relates to the context the job was enqueued in: `"parent"`
   * (default) continues that trace; `"link"` starts a new trace with a link to it, for jobs that
   * run long after, or many times from, the request that enqueued them.
   */
  consumerContext?: "parent" | "link";
  /** How long the queue gauges reuse one reading of `stats()`; default `"15s"`. */
  statsCacheTtl?: Duration;
}

/**
 * OpenTelemetry tracing and metrics for a scheduler, in one middleware.
 *
 * - **Traces**: each enqueue runs in a producer span (`send <queue>`) whose context is injected into
 *   the job's metadata; each attempt runs in a consumer span (`process <queue>`) that continues
 *   (or links to) that context, in whatever process runs it; each schedule firing gets a root span
 *   (`tick <schedule>`) whose context the tick's jobs carry. Spans follow the messaging semantic
 *   conventions; failed attempts record the error, set the status and say whether the job will be
 *   retried or is dead (`sched.job.outcome`).
 * - **Metrics**: the counters, gauges and histograms in {@link METRICS}, with bounded attributes only
 *   (queue, job name, outcome).
 *
 * Telemetry never changes what happens to jobs: an SDK, span processor, propagator or instrument
 * that throws is ignored (and reported once per kind through the scheduler's logger), and the
 * handler's, the insert's and the firing's own results pass through unchanged. With the global
 * no-op providers (no SDK installed) it costs next to nothing.
 *
 * @example
 * import { otel } from "@sched/middleware-otel";
 * scheduler.use(otel({ tracerProvider, meterProvider }));
 *
 * @throws InvalidArgumentError for a bad `statsCacheTtl`, `consumerContext`, `propagateBaggage` or
 *   `maxMetadataBytes`, naming the option.
 */
export function otel(given: OtelOptions = {}): Middleware {
  const options = readOptions(given, "options");
  const ttlMs = parseDuration(options.statsCacheTtl ?? "15s", "statsCacheTtl");
  const consumerContext = options.consumerContext ?? "parent";
  if (consumerContext !== "parent" && consumerContext !== "link") {
    throw new InvalidArgumentError(
      "consumerContext",
      `expected "parent" or "link", got ${describeValue(consumerContext)}`,
    );
  }
  const propagateBaggage = options.propagateBaggage ?? false;
  if (typeof propagateBaggage !== "boolean") {
    throw new InvalidArgumentError(
      "propagateBaggage",
      `expected true or false, got ${describeValue(propagateBaggage)}`,
    );
  }
  const maxMetadataBytes = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA_BYTES;
  if (!Number.isSafeInteger(maxMetadataBytes) || maxMetadataBytes < 0) {
    throw new InvalidArgumentError(
      "maxMetadataBytes",
      `expected a whole number of bytes, 0 or more (0: no limit), got ${describeValue(maxMetadataBytes)}`,
    );
  }
  const faults = new TelemetryFaults();
  const version = typeof __VERSION__ === "string" ? __VERSION__ : undefined;
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = tracerProvider.getTracer(SCOPE_NAME, version);
  // The global provider is a proxy: until an SDK registers behind it, tracing is skipped entirely.
  let tracing = !(tracerProvider instanceof ProxyTracerProvider);
  const tracingOn = (): boolean => {
    if (!tracing) {
      tracing = faults.attempt(
        "tracing",
        () => (tracerProvider as ProxyTracerProvider).getDelegateTracer(SCOPE_NAME, version) !== undefined,
        false,
      );
    }
    return tracing;
  };
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, version);
  // The API's no-op meter records nothing: then no metric is computed at all.
  const recordMetrics = meter.constructor !== createNoopMeter().constructor;
  const propagator = (): TextMapPropagator =>
    options.propagator ?? (propagation.fields().length > 0 ? propagation : w3cTraceContext);
  const injector = new MetadataInjector({ maxMetadataBytes, baggage: propagateBaggage }, faults);

  const counter = (name: string, description: string) =>
    meter.createCounter(name, { description, unit: "{job}" });
  const enqueued = counter(METRICS.enqueued, "Jobs enqueued");
  const retried = counter(METRICS.retried, "Failed job attempts scheduled for a retry");
  const dead = counter(METRICS.dead, "Jobs moved to the dead-letter queue");
  const recovered = counter(METRICS.recovered, "Jobs returned to their queue after their worker died");
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
  const attributeSets = new AttributeSets();
  const attempts = new AttemptRecorder({
    tracer,
    tracingOn,
    propagator,
    consumerContext,
    attributeSets,
    faults,
    instruments: recordMetrics
      ? {
          completed: counter(METRICS.completed, "Job attempts that completed"),
          failed: counter(METRICS.failed, "Job attempts that failed"),
          rateLimited: counter(METRICS.rateLimited, "Job attempts that signalled a rate limit"),
          duration: histogram(METRICS.duration, "Time a job attempt's handler ran"),
          scheduleDelay: histogram(METRICS.scheduleDelay, "Time from a job's scheduled time to its start"),
        }
      : null,
  });

  const gauge = (name: string, description: string) =>
    meter.createObservableGauge(name, { description, unit: "{job}" });
  const pendingGauge = gauge(METRICS.pending, "Jobs due and waiting for a worker");
  const runningGauge = gauge(METRICS.running, "Jobs running now");
  const deadGauge = gauge(METRICS.deadLetters, "Jobs in the dead-letter queue");
  const stats = new StatsCache(ttlMs);
  meter.addBatchObservableCallback(
    async (observer) => {
      for (const reading of await stats.read()) {
        for (const [queue, counts] of Object.entries(reading.byQueue ?? {})) {
          const attributes = { [ATTR.destination]: queue };
          observer.observe(pendingGauge, counts.pending, attributes);
          observer.observe(runningGauge, counts.running, attributes);
          observer.observe(deadGauge, counts.dead, attributes);
        }
      }
    },
    [pendingGauge, runningGauge, deadGauge],
  );

  const jobAttributes = (job: Pick<Job, "queue" | "name">): Attributes =>
    attributeSets.get(job.queue, job.name, "");

  const hook: Hook = {
    onEnqueue: (job) => faults.run("metrics", () => enqueued.add(1, jobAttributes(job))),
    onRetry: (job) => faults.run("metrics", () => retried.add(1, jobAttributes(job))),
    onDead: (job) => faults.run("metrics", () => dead.add(1, jobAttributes(job))),
    onRecover: (count) => faults.run("metrics", () => recovered.add(count)),
  };

  /** A producer span for one job, whose context the job carries. */
  const producerSpan = (operation: "send" | "create", job: OutgoingJob, active: Context): Span =>
    tracer.startSpan(
      `${operation} ${job.queue}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.messagingSystem]: MESSAGING_SYSTEM,
          [ATTR.operationType]: operation,
          [ATTR.operationName]: operation,
          [ATTR.destination]: job.queue,
          [ATTR.messageId]: job.id,
          [ATTR.jobName]: job.name,
        },
      },
      active,
    );

  /** Writes the context of `span` into the job's metadata, when it fits (see MetadataInjector). */
  const carry = (inject: TextMapPropagator, active: Context, span: Span, job: OutgoingJob): void =>
    faults.run("propagation", () => injector.inject(inject, trace.setSpan(active, span), job));

  /**
   * Starts the spans of an enqueue and writes their contexts into the jobs' metadata; returns the
   * send span, or `null` when nothing is traced (no SDK). May throw (the caller guards it).
   */
  const startEnqueue = (jobs: readonly OutgoingJob[]): Span | null => {
    if (!tracingOn()) return null;
    const active = context.active();
    const inject = propagator();
    if (jobs.length === 1) {
      const job = jobs[0]!;
      const span = producerSpan("send", job, active);
      // No SDK: nothing to record.
      if (isNoop(span)) return null;
      carry(inject, active, span, job);
      return span;
    }
    // A batch: one creation span per job (its context travels with the job), then one send span
    // linked to them all, as the messaging conventions describe for batch publishing.
    const links: Link[] = [];
    for (const job of jobs) {
      const create = producerSpan("create", job, active);
      // No SDK: every span of the batch would be a no-op, as this one is.
      if (isNoop(create)) return null;
      carry(inject, active, create, job);
      faults.run("tracing", () => {
        if (create.isRecording()) links.push({ context: create.spanContext() });
      });
      endSpan(create, faults);
    }
    const queues = new Set(jobs.map((job) => job.queue));
    const queue = queues.size === 1 ? jobs[0]!.queue : undefined;
    return tracer.startSpan(
      `send ${queue ?? "(several queues)"}`,
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          [ATTR.messagingSystem]: MESSAGING_SYSTEM,
          [ATTR.operationType]: "send",
          [ATTR.operationName]: "send",
          [ATTR.batchCount]: jobs.length,
          ...(queue !== undefined && { [ATTR.destination]: queue }),
        },
      },
      active,
    );
  };

  const wrapEnqueue: EnqueueWrapper = (jobs, insert) => {
    const span = faults.attempt("tracing", () => startEnqueue(jobs), null);
    if (span === null) return insert();
    return endAfterInsert(span, jobs.length === 1 ? jobs[0]!.id : null, insert, faults);
  };

  /** Starts a firing's root span and writes its context into the tick's jobs. May throw. */
  const startTick = (firing: Parameters<TickWrapper>[0]): { span: Span; active: Context } | null => {
    if (!tracingOn()) return null;
    const span = tracer.startSpan(
      `tick ${firing.schedule}`,
      {
        kind: SpanKind.PRODUCER,
        root: true,
        attributes: {
          [ATTR.messagingSystem]: MESSAGING_SYSTEM,
          [ATTR.operationType]: "create",
          [ATTR.operationName]: "tick",
          [ATTR.destination]: firing.queue,
          [ATTR.schedule]: firing.schedule,
          [ATTR.batchCount]: firing.jobs.length,
        },
      },
      ROOT_CONTEXT,
    );
    if (isNoop(span)) return null;
    const inject = propagator();
    for (const job of firing.jobs) carry(inject, ROOT_CONTEXT, span, job);
    return { span, active: trace.setSpan(ROOT_CONTEXT, span) };
  };

  const wrapTick: TickWrapper = async (firing, fire) => {
    const tick = faults.attempt("tracing", () => startTick(firing), null);
    if (tick === null) return fire();
    let result: Awaited<ReturnType<typeof fire>>;
    try {
      result = await runInContext(tick.active, fire, faults);
    } catch (err) {
      faults.run("tracing", () => markError(tick.span, err));
      endSpan(tick.span, faults);
      throw err;
    }
    faults.run("tracing", () => tick.span.setAttribute(ATTR.fired, result.fired));
    endSpan(tick.span, faults);
    return result;
  };

  // The logger is kept for reporting telemetry faults even with metrics off.
  const attach = (scheduler: AttachedScheduler) => {
    const detachLogger = faults.addLogger(scheduler.logger);
    const detachStats = recordMetrics ? stats.add(scheduler) : undefined;
    return () => {
      detachLogger();
      detachStats?.();
    };
  };

  return Object.assign((next: Parameters<Middleware>[0]) => attempts.wrap(next), {
    hooks: recordMetrics ? [hook] : [],
    wrapEnqueue,
    wrapTick,
    attach,
  });
}

/**
 * Runs `insert` once and returns what it returns (or throws what it throws), then ends the send
 * span. For one job, the span's message id becomes the id of the job `insert` returned: a
 * deduplicated enqueue (`dedupe` throttle or debounce) returns the window's job, not a new one.
 */
async function endAfterInsert(
  span: Span,
  sentId: string | null,
  insert: () => Promise<Job[]>,
  faults: TelemetryFaults,
): Promise<Job[]> {
  let stored: Job[];
  try {
    stored = await insert();
  } catch (err) {
    faults.run("tracing", () => markError(span, err));
    endSpan(span, faults);
    throw err;
  }
  if (sentId !== null) {
    faults.run("tracing", () => {
      const id = stored[0]?.id;
      if (id === undefined || id === sentId) return;
      span.setAttribute(ATTR.messageId, id);
      span.setAttribute(ATTR.deduplicated, true);
    });
  }
  endSpan(span, faults);
  return stored;
}
