import {
  type Context,
  type Counter,
  defaultTextMapGetter,
  type Histogram,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { failureOutcome, type HandlerFn, type Job, type JobContext } from "@sched/core";
import type { AttributeSets } from "./attribute-sets.js";
import { ATTR, MESSAGING_SYSTEM } from "./names.js";
import { asError, endSpan, isNoop, markError, runInContext } from "./spans.js";
import type { TelemetryFaults } from "./telemetry-faults.js";

/** The instruments of the attempt metrics. */
export interface AttemptInstruments {
  readonly completed: Counter;
  readonly failed: Counter;
  readonly rateLimited: Counter;
  readonly duration: Histogram;
  readonly scheduleDelay: Histogram;
}

/** What an {@link AttemptRecorder} records with. */
export interface AttemptRecorderOptions {
  readonly tracer: Tracer;
  /** Whether an SDK is behind the tracer; never throws. */
  readonly tracingOn: () => boolean;
  readonly propagator: () => TextMapPropagator;
  readonly consumerContext: "parent" | "link";
  /** `null` when metrics are off (the API's no-op meter). */
  readonly instruments: AttemptInstruments | null;
  readonly attributeSets: AttributeSets;
  readonly faults: TelemetryFaults;
}

/** One attempt being recorded. */
interface Run {
  readonly span: Span | null;
  /** The context the handler runs in: the consumer span's; `undefined` without a span. */
  readonly active: Context | undefined;
  /** `performance.now()` at the start, when the attempt is measured. */
  readonly startedAt: number | null;
  readonly signal: AbortSignal | null;
  /** Set once the attempt's span is ended and its metrics recorded: it never happens twice. */
  recorded: boolean;
}

/**
 * The consumer side: each attempt runs inside a consumer span (`process <queue>`, or
 * `dead_letter <queue>` for a dead-letter handler's run) and is counted and timed.
 *
 * An attempt is recorded exactly once, when the runtime ends it: when its handler settles, or
 * when `ctx.signal` aborts first (timeout, cancel, lost lease, shutdown), for the runtime records
 * the outcome then even if the handler, ignoring the signal, runs on. What the handler returns or
 * throws reaches the runtime unchanged, whatever the telemetry does.
 */
export class AttemptRecorder {
  constructor(private readonly options: AttemptRecorderOptions) {}

  /** `next`, observed. Neither traced nor measured (no SDK): `next` itself runs, as if unwrapped. */
  wrap(next: HandlerFn): HandlerFn {
    return (job, ctx) =>
      this.options.instruments !== null || this.options.tracingOn()
        ? this.observe(next, job, ctx)
        : next(job, ctx);
  }

  private async observe(next: HandlerFn, job: Job, ctx: JobContext): Promise<void> {
    // The runtime also calls the dead-letter handler (with the dead job) through middleware.
    const deadLetter = job.status === "dead";
    const run = this.begin(job, ctx, deadLetter);
    const signal = run.signal;
    const onAbort = () => this.end(run, job, deadLetter, { error: signal?.reason });
    signal?.addEventListener("abort", onAbort);
    try {
      const handled = runInContext(run.active, () => next(job, ctx), this.options.faults);
      // Aborted before the handler started (no event comes any more), or while it started.
      if (signal?.aborted) onAbort();
      await handled;
    } catch (err) {
      this.end(run, job, deadLetter, { error: err });
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    this.end(run, job, deadLetter, null);
  }

  private begin(job: Job, ctx: JobContext, deadLetter: boolean): Run {
    const { faults, instruments } = this.options;
    const signal = ctx.signal instanceof AbortSignal ? ctx.signal : null;
    const traced = this.options.tracingOn()
      ? faults.attempt("tracing", () => this.startSpan(job, ctx, deadLetter), null)
      : null;
    const measure = instruments !== null && !deadLetter;
    if (measure && job.startedAt) {
      const startedAt = job.startedAt;
      faults.run("metrics", () => {
        const delay = Math.max(0, startedAt.getTime() - job.scheduledAt.getTime()) / 1000;
        instruments.scheduleDelay.record(delay, this.options.attributeSets.get(job.queue, job.name, ""));
      });
    }
    return {
      span: traced?.span ?? null,
      active: traced?.active,
      startedAt: measure ? performance.now() : null,
      signal,
      recorded: false,
    };
  }

  /** The attempt's span and the context the handler runs in; `null` for the API's no-op span. */
  private startSpan(job: Job, ctx: JobContext, deadLetter: boolean): { span: Span; active: Context } | null {
    const operation = deadLetter ? "dead_letter" : "process";
    const { parent, links } = this.parentOf(job);
    const span = this.options.tracer.startSpan(
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
    // Without an SDK the span is a no-op with no context to pass on: the handler runs as is.
    if (isNoop(span)) return null;
    return { span, active: trace.setSpan(parent, span) };
  }

  /** The producer's context, from the job's metadata: the parent of the attempt, or its link. */
  private parentOf(job: Job): { parent: Context; links: Link[] | undefined } {
    const extracted = this.options.faults.attempt(
      "propagation",
      () => this.options.propagator().extract(ROOT_CONTEXT, job.metadata, defaultTextMapGetter),
      ROOT_CONTEXT,
    );
    if (this.options.consumerContext === "parent") return { parent: extracted, links: undefined };
    const producer = trace.getSpanContext(extracted);
    return { parent: trace.deleteSpan(extracted), links: producer ? [{ context: producer }] : undefined };
  }

  /** Ends the attempt's span and records its metrics, unless that was done already. Never throws. */
  private end(run: Run, job: Job, deadLetter: boolean, failure: { error: unknown } | null): void {
    if (run.recorded) return;
    run.recorded = true;
    const { faults, instruments } = this.options;
    const error = failure === null ? null : asError(failure.error);
    const outcome =
      error === null
        ? "completed"
        : deadLetter
          ? "failed"
          : faults.attempt("tracing", () => failureOutcome(job, error, run.signal ?? undefined), "retry");
    const span = run.span;
    if (span !== null) {
      faults.run("tracing", () => describeOutcome(span, outcome, error));
      endSpan(span, faults);
    }
    const startedAt = run.startedAt;
    if (instruments !== null && startedAt !== null) {
      faults.run("metrics", () => {
        const attributes = this.options.attributeSets.get(job.queue, job.name, outcome);
        const counter =
          outcome === "completed"
            ? instruments.completed
            : outcome === "rateLimited"
              ? instruments.rateLimited
              : instruments.failed;
        counter.add(1, attributes);
        instruments.duration.record((performance.now() - startedAt) / 1000, attributes);
      });
    }
  }
}

/**
 * Sets the span's outcome. A failure records the exception and the error status, and says whether
 * a retry or the dead-letter queue follows; a rate limit (`rateLimited()`) is the handler's signal,
 * not a failure, and a completed attempt keeps the status unset.
 */
function describeOutcome(span: Span, outcome: string, error: Error | null): void {
  if (error !== null && outcome !== "rateLimited") markError(span, error);
  span.setAttribute(ATTR.outcome, outcome);
  if (outcome === "retry") span.addEvent("sched.job.retry");
  else if (outcome === "dead") span.addEvent("sched.job.dead_letter");
}
