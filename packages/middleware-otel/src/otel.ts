import {
  type Attributes,
  type Context,
  context,
  createNoopMeter,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  type Link,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import {
  type AttachedScheduler,
  type Duration,
  type EnqueueWrapper,
  failureOutcome,
  type HandlerFn,
  type Hook,
  InvalidArgumentError,
  type Job,
  type JobContext,
  type Middleware,
  type OutgoingJob,
  parseDuration,
  type TickWrapper,
} from "@sched/core";
import { describeValue, readOptions } from "@sched/core/adapter";
import { ATTR, MESSAGING_SYSTEM, METRICS, SECONDS_BUCKETS } from "./names.js";
import { StatsCache } from "./stats-cache.js";
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
 * With the global no-op providers (no SDK installed) it costs next to nothing.
 *
 * @example
 * import { otel } from "@sched/middleware-otel";
 * scheduler.use(otel({ tracerProvider, meterProvider }));
 *
 * @throws InvalidArgumentError for a bad `statsCacheTtl` or `consumerContext`.
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
  const version = typeof __VERSION__ === "string" ? __VERSION__ : undefined;
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
  const tracer = tracerProvider.getTracer(SCOPE_NAME, version);
  // The global provider is a proxy: until an SDK registers behind it, tracing is skipped entirely.
  let tracing = !(tracerProvider instanceof ProxyTracerProvider);
  const tracingOn = (): boolean => {
    if (!tracing) {
      tracing = (tracerProvider as ProxyTracerProvider).getDelegateTracer(SCOPE_NAME, version) !== undefined;
    }
    return tracing;
  };
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, version);
  // The API's no-op meter records nothing: then no metric is computed at all.
  const recordMetrics = meter.constructor !== createNoopMeter().constructor;
  const propagator = (): TextMapPropagator =>
    options.propagator ?? (propagation.fields().length > 0 ? propagation : w3cTraceContext);

  const counter = (name: string, description: string) =>
    meter.createCounter(name, { description, unit: "{job}" });
  const enqueued = counter(METRICS.enqueued, "Jobs enqueued");
  const completed = counter(METRICS.completed, "Job attempts that completed");
  const failed = counter(METRICS.failed, "Job attempts that failed");
  const retried = counter(METRICS.retried, "Failed job attempts scheduled for a retry");
  const dead = counter(METRICS.dead, "Jobs moved to the dead-letter queue");
  const recovered = counter(METRICS.recovered, "Jobs returned to their queue after their worker died");
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
  const scheduleDelay = histogram(METRICS.scheduleDelay, "Time from a job's scheduled time to its start");
  const duration = histogram(METRICS.duration, "Time a job attempt's handler ran");

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

  const attributeSets = new AttributeSets();
  const jobAttributes = (job: Pick<Job, "queue" | "name">): Attributes =>
    attributeSets.get(job.queue, job.name, "");

  const hook: Hook = {
    onEnqueue: (job) => enqueued.add(1, jobAttributes(job)),
    onRetry: (job) => retried.add(1, jobAttributes(job)),
    onDead: (job) => dead.add(1, jobAttributes(job)),
    onRecover: (count) => recovered.add(count),
  };

  const wrapEnqueue: EnqueueWrapper = (jobs, insert) => {
    if (!tracingOn()) return insert();
    const active = context.active();
    const inject = propagator();
    /** A producer span for one job, whose context the job carries. */
    const producerSpan = (operation: "send" | "create", job: OutgoingJob): Span => {
      const span = tracer.startSpan(
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
      if (!isNoop(span)) inject.inject(trace.setSpan(active, span), job.metadata, defaultTextMapSetter);
      return span;
    };
    if (jobs.length === 1) {
      const span = producerSpan("send", jobs[0]!);
      // No SDK: nothing to record.
      return isNoop(span) ? insert() : endAfter(span, insert);
    }
    // A batch: one creation span per job (its context travels with the job), then one send span
    // linked to them all, as the messaging conventions describe for batch publishing.
    const links: Link[] = [];
    for (const job of jobs) {
      const create = producerSpan("create", job);
      // No SDK: every span of the batch would be a no-op, as this one is.
      if (isNoop(create)) return insert();
      if (create.isRecording()) links.push({ context: create.spanContext() });
      create.end();
    }
    const queues = new Set(jobs.map((job) => job.queue));
    const queue = queues.size === 1 ? jobs[0]!.queue : undefined;
    const span = tracer.startSpan(
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
    return endAfter(span, insert);
  };

  const wrapTick: TickWrapper = async (firing, fire) => {
    if (!tracingOn()) return fire();
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
    if (isNoop(span)) return fire();
    const tickContext = trace.setSpan(ROOT_CONTEXT, span);
    const inject = propagator();
    for (const job of firing.jobs) inject.inject(tickContext, job.metadata, defaultTextMapSetter);
    try {
      const result = await context.with(tickContext, fire);
      span.setAttribute(ATTR.fired, result.fired);
      return result;
    } catch (err) {
      markError(span, err);
      throw err;
    } finally {
      span.end();
    }
  };

  const consumerParent = (job: Job): { parent: Context; links: Link[] | undefined } => {
    const extracted = propagator().extract(ROOT_CONTEXT, job.metadata, defaultTextMapGetter);
    if (consumerContext === "parent") return { parent: extracted, links: undefined };
    const producer = trace.getSpanContext(extracted);
    return { parent: trace.deleteSpan(extracted), links: producer ? [{ context: producer }] : undefined };
  };

  const middleware = (next: HandlerFn): HandlerFn => {
    const observe = async (job: Job, ctx: JobContext): Promise<void> => {
      // The runtime also calls the dead-letter handler (with the dead job) through middleware.
      const deadLetter = job.status === "dead";
      const operation = deadLetter ? "dead_letter" : "process";
      const { parent, links } = consumerParent(job);
      const span = tracer.startSpan(
        `${operation} ${job.queue}`,
        {
          kind: SpanKind.CONSUMER,
          links,
          attributes: {
            [ATTR.messagingSystem]: MESSAGING_SYSTEM,
            [ATTR.operationType]: "process",
            [ATTR.operationName]: operation,
            [ATTR.destination]: job.queue,
            [ATTR.messageId]: job.id,
            [ATTR.jobName]: job.name,
            // The attempt of this run: for a dead-letter run, the dead-letter job's (the job
            // handed to the handler is the dead job, whose last attempt it was).
            [ATTR.attempt]: ctx.attempt,
          },
        },
        parent,
      );
      const measure = recordMetrics && !deadLetter;
      if (measure && job.startedAt) {
        const delay = Math.max(0, job.startedAt.getTime() - job.scheduledAt.getTime()) / 1000;
        scheduleDelay.record(delay, jobAttributes(job));
      }
      const t0 = measure ? performance.now() : 0;
      try {
        // Without an SDK the span is a no-op with no context to pass on: run the handler as is.
        if (isNoop(span)) await next(job, ctx);
        else await context.with(trace.setSpan(parent, span), next, undefined, job, ctx);
        span.setAttribute(ATTR.outcome, "completed");
        if (measure) {
          const outcome = attributeSets.get(job.queue, job.name, "completed");
          completed.add(1, outcome);
          duration.record((performance.now() - t0) / 1000, outcome);
        }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        const outcome = deadLetter ? "failed" : failureOutcome(job, error, ctx.signal);
        markError(span, error);
        span.setAttribute(ATTR.outcome, outcome);
        if (outcome === "retry") span.addEvent("sched.job.retry");
        else if (outcome === "dead") span.addEvent("sched.job.dead_letter");
        if (measure) {
          const labels = attributeSets.get(job.queue, job.name, outcome);
          failed.add(1, labels);
          duration.record((performance.now() - t0) / 1000, labels);
        }
        throw err;
      } finally {
        span.end();
      }
    };
    // Neither traced nor measured (no SDK): the handler runs as if the middleware were absent.
    return (job, ctx) => (recordMetrics || tracingOn() ? observe(job, ctx) : next(job, ctx));
  };

  const attach = (scheduler: AttachedScheduler) => stats.add(scheduler);

  return Object.assign(middleware, {
    hooks: recordMetrics ? [hook] : [],
    wrapEnqueue,
    wrapTick,
    ...(recordMetrics && { attach }),
  });
}

/** Whether `span` is the API's no-op span: not recording, and with no valid context to propagate. */
function isNoop(span: Span): boolean {
  return !span.isRecording() && !isSpanContextValid(span.spanContext());
}

/**
 * Metric attribute sets by queue, job name and outcome, made once and reused: recording a metric
 * allocates nothing on the hot path. Bounded: past `limit` distinct sets, new ones are not kept.
 */
class AttributeSets {
  private readonly sets = new Map<string, Map<string, Map<string, Attributes>>>();
  private size = 0;

  constructor(private readonly limit = 10_000) {}

  get(queue: string, name: string, outcome: string): Attributes {
    let byName = this.sets.get(queue);
    if (!byName) {
      byName = new Map();
      this.sets.set(queue, byName);
    }
    let byOutcome = byName.get(name);
    if (!byOutcome) {
      byOutcome = new Map();
      byName.set(name, byOutcome);
    }
    let attributes = byOutcome.get(outcome);
    if (!attributes) {
      attributes = Object.freeze(
        outcome === ""
          ? { [ATTR.destination]: queue, [ATTR.jobName]: name }
          : { [ATTR.destination]: queue, [ATTR.jobName]: name, [ATTR.outcome]: outcome },
      );
      if (this.size < this.limit) {
        byOutcome.set(outcome, attributes);
        this.size++;
      }
    }
    return attributes;
  }
}

async function endAfter(span: Span, insert: () => Promise<Job[]>): Promise<Job[]> {
  try {
    return await insert();
  } catch (err) {
    markError(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function markError(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute(ATTR.errorType, error.name || "Error");
}
