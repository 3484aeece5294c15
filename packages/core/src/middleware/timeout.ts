import { JobTimeoutError } from "../errors.js";
import { type Duration, parseDuration } from "../time/duration.js";
import type { Middleware } from "./middleware.js";

/**
 * Fails an attempt that runs longer than `limit`, aborting the handler's `ctx.signal` with a
 * {@link JobTimeoutError}. Use it to give a group of handlers a tighter limit than the
 * per-job `timeout`, which the runtime enforces on its own.
 */
export function timeout(limit: Duration): Middleware {
  const ms = parseDuration(limit, "timeout");
  return (next) => (job, ctx) => {
    if (ms <= 0) return next(job, ctx);
    const controller = new AbortController();
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new JobTimeoutError(ms);
        controller.abort(err);
        reject(err);
      }, ms);
      Promise.resolve()
        .then(() =>
          next(job, { ...ctx, signal, heartbeat: ctx.heartbeat, logger: ctx.logger, attempt: ctx.attempt }),
        )
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  };
}
