import { toError } from "../errors.js";
import type { Logger } from "../logger/logger.js";
import { assertLogger } from "../logger/safe-logger.js";
import type { Middleware } from "./middleware.js";

/**
 * Logs each attempt's start (debug), success (info) and failure (warn) with the job's id, name,
 * queue, attempt and duration. Payloads are never logged.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `logger` when it lacks one of the four methods.
 */
export function logging(logger: Logger): Middleware {
  assertLogger(logger);
  return (next) => async (job, ctx) => {
    const fields = { jobId: job.id, name: job.name, queue: job.queue, attempt: ctx.attempt };
    logger.debug("job started", fields);
    const started = performance.now();
    try {
      await next(job, ctx);
      logger.info("job completed", { ...fields, durationMs: Math.round(performance.now() - started) });
    } catch (err) {
      logger.warn("job failed", {
        ...fields,
        durationMs: Math.round(performance.now() - started),
        error: toError(err).message,
      });
      throw err;
    }
  };
}
