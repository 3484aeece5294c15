import { JobTimeoutError } from "../errors.js";
import { type Duration, parseDuration } from "../time/duration.js";
import { setLongTimeout } from "../time/long-timeout.js";
import type { Middleware } from "./middleware.js";

/**
 * Fails an attempt that runs longer than `limit`, aborting the handler's `ctx.signal` with a
 * {@link JobTimeoutError}. Use it to give a group of handlers a tighter limit than the
 * per-job `timeout`, which the runtime enforces on its own. A limit past 2^31 - 1 ms (about 24.8
 * days, one Node.js timer's longest wait) is kept whole.
 *
 * @param limit A duration (ms, or a string such as `"30s"`); 0 or less sets no limit.
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`, field `timeout`) for a limit that is not a
 *   duration.
 */
export function timeout(limit: Duration): Middleware {
  const ms = parseDuration(limit, "timeout");
  return (next) => (job, ctx) => {
    if (ms <= 0) return next(job, ctx);
    const controller = new AbortController();
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    return new Promise<void>((resolve, reject) => {
      const timer = setLongTimeout(() => {
        const err = new JobTimeoutError(ms);
        controller.abort(err);
        reject(err);
      }, ms);
      Promise.resolve()
        .then(() =>
          next(job, { ...ctx, signal, heartbeat: ctx.heartbeat, logger: ctx.logger, attempt: ctx.attempt }),
        )
        .then(resolve, reject)
        .finally(() => timer.clear());
    });
  };
}
