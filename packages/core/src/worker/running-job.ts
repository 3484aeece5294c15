import type { JobContext } from "../jobs/handler.js";
import type { Job } from "../jobs/job.js";
import type { Logger } from "../logger/logger.js";
import type { JobRef } from "../store/store.js";

/** A logger that adds the job's id and name to every line. */
class JobLogger implements Logger {
  constructor(
    private readonly base: Logger,
    private readonly job: Job,
  ) {}
  private fields(extra?: Record<string, unknown>): Record<string, unknown> {
    return { jobId: this.job.id, name: this.job.name, ...extra };
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.base.debug(message, this.fields(fields));
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.base.info(message, this.fields(fields));
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.base.warn(message, this.fields(fields));
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.base.error(message, this.fields(fields));
  }
}

/** The fencing reference of a claimed job's attempt. */
export function refOf(job: Job): JobRef {
  return { id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: job.lockedBy ?? "" };
}

/**
 * One attempt in flight: its context, deadline and whether its outcome has been decided. The
 * handler's `AbortController` and its logger are made when first used: most handlers of short
 * jobs touch neither, and an `AbortSignal` per job was a tenth of the runtime's own time.
 */
export class RunningJob {
  readonly ctx: JobContext;
  /** The fencing reference of this attempt. */
  readonly ref: JobRef;
  /** Set once the outcome is decided (by the handler, the timeout, a cancel or a lost lease). */
  settled = false;
  /** Position in the pool's deadline heap, or -1. */
  deadlineIndex = -1;
  private controller: AbortController | null = null;
  /** Why the attempt was aborted, once it was. */
  private abortReason: Error | null = null;

  constructor(
    readonly job: Job,
    readonly startedAt: number,
    /** Epoch ms when the timeout fires, or `Infinity`. */
    readonly deadline: number,
    logger: Logger,
    heartbeat: (running: RunningJob) => Promise<void>,
  ) {
    this.ref = refOf(job);
    const running = this;
    // What middleware put in place of the signal or logger (ctx is the handler's to change).
    let signal: AbortSignal | null = null;
    let jobLogger: Logger | null = null;
    this.ctx = {
      get signal() {
        return signal ?? running.signal;
      },
      set signal(value: AbortSignal) {
        signal = value;
      },
      attempt: job.attempt,
      get logger() {
        jobLogger ??= new JobLogger(logger, job);
        return jobLogger;
      },
      set logger(value: Logger) {
        jobLogger = value;
      },
      heartbeat: () => heartbeat(this),
    };
  }

  /** The handler's abort signal (`ctx.signal`), made on first use; aborted already if the attempt was. */
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.abortReason !== null) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Marks the outcome decided; returns false when it already was. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  /** Aborts the handler's signal (once: the first reason stays). */
  abort(reason: Error): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}
