import type { Logger } from "@sched/core";

/** What failed: the tracer or a span, the propagator, or a metric instrument. */
export type TelemetryKind = "tracing" | "propagation" | "metrics";

/**
 * Keeps telemetry from changing what happens to jobs: OpenTelemetry's rule is that instrumentation
 * never throws, yet an SDK, a span processor, an exporter or a propagator may. Every telemetry call
 * of the middleware goes through {@link TelemetryFaults.run} or {@link TelemetryFaults.attempt}: a
 * throw is swallowed, and reported once per kind through the logger of a scheduler using the
 * middleware, if one has started (before that there is no logger to tell, and nothing is said).
 * Only the telemetry's error message is logged, never a job's payload or metadata.
 */
export class TelemetryFaults {
  private readonly reported = new Set<string>();
  private readonly loggers: Logger[] = [];

  /** Reports through `logger` from now on; returns the function that stops it. */
  addLogger(logger: Logger): () => void {
    this.loggers.push(logger);
    return () => {
      const at = this.loggers.indexOf(logger);
      if (at >= 0) this.loggers.splice(at, 1);
    };
  }

  /** Runs `record`; if it throws, the error is reported (once per `kind`) and swallowed. */
  run(kind: TelemetryKind, record: () => void): void {
    try {
      record();
    } catch (err) {
      this.failed(kind, err);
    }
  }

  /** What `compute` returns, or `fallback` when it throws (reported once per `kind`). */
  attempt<T>(kind: TelemetryKind, compute: () => T, fallback: T): T {
    try {
      return compute();
    } catch (err) {
      this.failed(kind, err);
      return fallback;
    }
  }

  /** Reports `err`, thrown by the telemetry of `kind`, unless that kind was reported already. */
  failed(kind: TelemetryKind, err: unknown): void {
    this.warnOnce(
      kind,
      `OpenTelemetry threw (${kind}); ignored: jobs are unaffected, some telemetry is missing`,
      {
        error: errorMessage(err),
      },
    );
  }

  /**
   * Logs `message` as a warning once per `key`, through the first logger reachable; when none is
   * (no scheduler using the middleware has started), it says nothing and may say it later.
   */
  warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.reported.has(key)) return;
    const logger = this.loggers[0];
    if (logger === undefined) return;
    this.reported.add(key);
    try {
      logger.warn(message, fields);
    } catch {
      // A logger that throws must not fail the job either.
    }
  }
}

/** The message of `err`, read without ever throwing. */
function errorMessage(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "(unreadable error)";
  }
}
