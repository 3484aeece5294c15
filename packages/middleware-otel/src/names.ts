/**
 * Attribute keys used on spans and metrics. The `messaging.*` keys follow OpenTelemetry's
 * messaging semantic conventions; `sched.*` keys are this library's own.
 */
export const ATTR = {
  messagingSystem: "messaging.system",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  messageId: "messaging.message.id",
  batchCount: "messaging.batch.message_count",
  errorType: "error.type",
  jobName: "sched.job.name",
  attempt: "sched.job.attempt",
  outcome: "sched.job.outcome",
  schedule: "sched.schedule.name",
  fired: "sched.schedule.fired",
  deduplicated: "sched.job.deduplicated",
} as const;

/** The value of `messaging.system` on every span. */
export const MESSAGING_SYSTEM = "sched";

/**
 * The metrics recorded by {@link otel}. Counters and gauges count jobs (unit `{job}`), the
 * histograms are in seconds. Attributes: `messaging.destination.name` (the queue),
 * `sched.job.name` and, on attempt metrics, `sched.job.outcome`.
 */
export const METRICS = {
  /** Counter: jobs enqueued (by `enqueue`, `enqueueMany` and schedule ticks). */
  enqueued: "sched.jobs.enqueued",
  /** Counter: attempts that completed. */
  completed: "sched.jobs.completed",
  /**
   * Counter: attempts that failed (each failed attempt counts, whatever follows it), by outcome:
   * `retry`, `dead`, `interrupted`, `cancelled` or `leaseLost`.
   */
  failed: "sched.jobs.failed",
  /**
   * Counter: attempts whose handler signalled a rate limit (`throw rateLimited(...)`): not a
   * failure; the job waits again and no retry is used.
   */
  rateLimited: "sched.jobs.rate_limited",
  /** Counter: failed attempts scheduled for a retry. */
  retried: "sched.jobs.retried",
  /** Counter: jobs moved to the dead-letter queue. */
  dead: "sched.jobs.dead",
  /** Counter: jobs returned to their queue after their worker died (expired leases). No attributes. */
  recovered: "sched.jobs.recovered",
  /** Observable gauge: jobs due and waiting for a worker, per queue. */
  pending: "sched.queue.pending",
  /** Observable gauge: jobs running now, per queue. */
  running: "sched.queue.running",
  /** Observable gauge: jobs in the dead-letter queue, per queue. */
  deadLetters: "sched.queue.dead",
  /** Histogram: seconds from a job's scheduled time to the start of its attempt. */
  scheduleDelay: "sched.job.schedule_delay",
  /** Histogram: seconds an attempt's handler ran, until it settled or the runtime ended the attempt. */
  duration: "sched.job.duration",
} as const;

/** Histogram bucket boundaries in seconds: from 1 ms to 10 minutes. */
export const SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
