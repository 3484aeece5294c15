import { InvalidArgumentError } from "../errors.js";
import { readSafely } from "../validation/payload.js";
import type { Middleware } from "./middleware.js";

/**
 * Where the {@link metrics} middleware reports. Adapt it to prom-client, StatsD or anything else;
 * labels are bounded (`name`, `queue`, `outcome`), never ids or payloads.
 */
export interface MetricsCollector {
  /** Adds 1 to a counter. */
  increment(metric: string, labels: Record<string, string>): void;
  /** Records one observation of a histogram (durations in seconds). */
  observe(metric: string, value: number, labels: Record<string, string>): void;
}

/** Metric names reported by {@link metrics}. */
export const METRIC_NAMES = {
  started: "sched_jobs_started_total",
  completed: "sched_jobs_completed_total",
  failed: "sched_jobs_failed_total",
  duration: "sched_job_duration_seconds",
  delay: "sched_job_schedule_delay_seconds",
} as const;

/**
 * Counts attempts started, completed and failed, and records their duration and their delay
 * (start minus scheduled time) in seconds, labelled by job name and queue.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `collector` when it lacks a method.
 */
export function metrics(collector: MetricsCollector): Middleware {
  // A getter or proxy that throws while the collector is checked is the caller's bad argument.
  readSafely("collector", () => {
    for (const method of ["increment", "observe"] as const) {
      if (typeof (collector as Partial<MetricsCollector> | null)?.[method] !== "function") {
        throw new InvalidArgumentError(
          "collector",
          `expected a MetricsCollector with increment() and observe(); it has no ${method}()`,
        );
      }
    }
  });
  return (next) => async (job, ctx) => {
    const labels = { name: job.name, queue: job.queue };
    collector.increment(METRIC_NAMES.started, labels);
    const startedAt = job.startedAt?.getTime() ?? Date.now();
    collector.observe(METRIC_NAMES.delay, Math.max(0, startedAt - job.scheduledAt.getTime()) / 1000, labels);
    const t0 = performance.now();
    try {
      await next(job, ctx);
      collector.increment(METRIC_NAMES.completed, labels);
      collector.observe(METRIC_NAMES.duration, (performance.now() - t0) / 1000, {
        ...labels,
        outcome: "completed",
      });
    } catch (err) {
      collector.increment(METRIC_NAMES.failed, labels);
      collector.observe(METRIC_NAMES.duration, (performance.now() - t0) / 1000, {
        ...labels,
        outcome: "failed",
      });
      throw err;
    }
  };
}
