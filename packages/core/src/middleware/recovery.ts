import { toError } from "../errors.js";
import type { Logger } from "../logger/logger.js";
import { assertLogger } from "../logger/safe-logger.js";
import type { Middleware } from "./middleware.js";

/**
 * Turns anything a handler throws (strings, objects, `undefined`) or a synchronous throw into a
 * proper `Error` with a stack, and logs it with the job's id and name. The attempt still fails
 * and follows the retry policy.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `logger` when one is given without the four methods.
 */
export function recovery(logger?: Logger): Middleware {
  if (logger !== undefined) assertLogger(logger);
  return (next) => async (job, ctx) => {
    try {
      await next(job, ctx);
    } catch (thrown) {
      const err = toError(thrown);
      logger?.error("job handler threw", {
        jobId: job.id,
        name: job.name,
        error: err.message,
        stack: err.stack,
      });
      throw err;
    }
  };
}
