import type { ResolvedOptions } from "../config/options.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import type { Job } from "../jobs/job.js";
import { DEAD_LETTER_METADATA, type DeadLetterOptions, deadLetterJob, insertedJob } from "../store/store.js";

/**
 * The dead-letter job a death should carry (see `Store.failJob`), or `null` when there is none:
 * dead letters are disabled, or no handler is registered here under `deadLetter.queue`. The
 * job's defaults come from that handler's registration, then the scheduler's.
 */
export function deadLetterOptions(
  options: ResolvedOptions,
  handlers: HandlerRegistry,
): DeadLetterOptions | null {
  const { deadLetter, retry, defaultTimeout } = options;
  if (!deadLetter.enabled) return null;
  const handler = handlers.get(deadLetter.queue);
  if (handler === undefined) return null;
  return {
    name: deadLetter.queue,
    priority: handler.priority ?? 0,
    maxRetries: handler.maxRetries ?? (handler.retry ?? retry).maxAttempts - 1,
    timeout: handler.timeout ?? defaultTimeout,
  };
}

/**
 * The id of the dead job a claimed job stands for, when it is a dead-letter job (named
 * `deadLetter.queue`, with the dead job's id in its metadata); otherwise `undefined`.
 */
export function deadJobIdOf(job: Job, options: ResolvedOptions): string | undefined {
  if (job.name !== options.deadLetter.queue) return undefined;
  return job.metadata[DEAD_LETTER_METADATA];
}

/**
 * The dead-letter job the store inserted with the death of `dead` at `now` under `options` (as
 * `Store.failJob` and `Store.recoverExpiredLeases` insert it), for the `onEnqueue` hook; `null`
 * when none was inserted: no options, or `dead` is itself a dead-letter job.
 */
export function insertedDeadLetter(dead: Job, options: DeadLetterOptions | null, now: Date): Job | null {
  if (options === null || dead.name === options.name) return null;
  return insertedJob(deadLetterJob(dead, options, now));
}
