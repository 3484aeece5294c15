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

/** One attempt in flight: its context, deadline and whether its outcome has been decided. */
export class RunningJob {
  readonly controller = new AbortController();
  readonly ctx: JobContext;
  /** The fencing reference of this attempt. */
  readonly ref: JobRef;
  /** Set once the outcome is decided (by the handler, the timeout, a cancel or a lost lease). */
  settled = false;
  /** Position in the pool's deadline heap, or -1. */
  deadlineIndex = -1;

  constructor(
    readonly job: Job,
    readonly startedAt: number,
    /** Epoch ms when the timeout fires, or `Infinity`. */
    readonly deadline: number,
    logger: Logger,
    heartbeat: (running: RunningJob) => Promise<void>,
  ) {
    this.ref = refOf(job);
    this.ctx = {
      signal: this.controller.signal,
      attempt: job.attempt,
      logger: new JobLogger(logger, job),
      heartbeat: () => heartbeat(this),
    };
  }

  /** Marks the outcome decided; returns false when it already was. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  /** Aborts the handler's signal (once). */
  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}
