import type { Logger } from "../logger/logger.js";
import type { Job } from "./job.js";

/**
 * What a handler receives besides the job. Its four fields are own and enumerable, so a middleware may
 * pass on a copy (`{ ...ctx, signal }`) or assign them (`ctx.logger = ...`) and add fields of its
 * own; `signal` and `logger` are made when first read. A context cannot be frozen, nor its four
 * fields deleted (`TypeError`).
 */
export interface JobContext {
  /**
   * Aborts on timeout (`JobTimeoutError`), on `cancel(id)` (`JobCancelledError`), when the lease
   * is lost to a takeover (`LeaseLostError`), and on shutdown past the grace period
   * (`ShuttingDownError`); `signal.reason` is that error.
   */
  signal: AbortSignal;
  /** The attempt number, 1 for the first run. */
  attempt: number;
  /** A logger scoped to the job. */
  logger: Logger;
  /** Renews the job's lease now; long handlers may call it, though the runtime also renews on its own. */
  heartbeat(): Promise<void>;
}

/** A job handler function. */
export type HandlerFn<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void> | void;

/** A job handler object. */
export interface Handler<P = unknown> {
  /** Runs the job. Throwing fails the attempt. */
  handle(job: Job<P>, ctx: JobContext): Promise<void> | void;
}
