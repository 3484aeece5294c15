import { InvalidArgumentError } from "../errors.js";
import type { Stats } from "../jobs/stats.js";
import type { GroupLimits, QueuePatch, QueueRecord, RateLimit } from "../store/store.js";
import { type Duration, describeDuration, parseDuration } from "../time/duration.js";
import { assertKnownFields } from "../validation/option-names.js";
import { describeValue } from "../validation/text.js";

/** A rate limit as `configureQueue` takes it: `max` jobs started per `per`. */
export interface RateLimitInput {
  /** Jobs per window, an integer ≥ 1. */
  max: number;
  /** The window: a duration string (`"1s"`, `"1m"`) or ms, at least 1 ms. */
  per: Duration;
}

/** The limits that apply to each group key of a queue, as `configureQueue` takes them. */
export interface GroupLimitsInput {
  /** The most running jobs of one group across all instances (`1`: one at a time per key); `null` for none. */
  concurrency?: number | null;
  /** The most jobs of one group started per window across all instances; `null` for none. */
  rateLimit?: RateLimitInput | null;
}

/**
 * The controls `configureQueue` writes; a field left out stays as stored, `null` removes it.
 * Every limit holds across all instances sharing the store, enforced by the store at claim time.
 */
export interface QueueConfig {
  /** The most running jobs of the queue across all instances; `null` for no limit. */
  concurrency?: number | null;
  /** The most jobs of the queue started per window across all instances; `null` for none. */
  rateLimit?: RateLimitInput | null;
  /** Limits per group key (a job's `group`); `null` for none. */
  group?: GroupLimitsInput | null;
}

/** A queue as `listQueues` and `getQueue` show it: its stored controls and its job counts. */
export interface QueueInfo {
  name: string;
  /** Whether claims are paused on every instance (`pauseQueue`). */
  paused: boolean;
  /** The most running jobs across all instances, or `null`. */
  concurrency: number | null;
  /** Jobs started per window across all instances (`per` in ms), or `null`. */
  rateLimit: RateLimit | null;
  /** The limits per group key, or `null`. */
  group: GroupLimits | null;
  /**
   * The queue is not claimed before this instant (a handler's `rateLimited` with scope `queue`),
   * or `null`. Push-backs of single groups are not shown; `resumeQueue` lifts both kinds.
   */
  limitedUntil: Date | null;
  /** This instance's own cap for the queue (the object form of the `queues` option), or `null`. */
  localConcurrency: number | null;
  /** The queue's jobs by status. */
  counts: Omit<Stats, "byQueue">;
}

/**
 * Validates what `configureQueue` was given and turns it into a store patch (durations in ms).
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the bad field.
 */
export function queuePatch(config: QueueConfig): QueuePatch {
  if (config === null || typeof config !== "object" || Array.isArray(config))
    throw new InvalidArgumentError("config", "expected { concurrency?, rateLimit?, group? }");
  assertKnownFields(config, ["concurrency", "rateLimit", "group"], "config");
  const patch: QueuePatch = {};
  if (config.concurrency !== undefined) patch.concurrency = limit(config.concurrency, "concurrency");
  if (config.rateLimit !== undefined) patch.rateLimit = rateLimit(config.rateLimit, "rateLimit");
  if (config.group !== undefined) {
    if (config.group === null) patch.group = null;
    else {
      const group = config.group;
      if (typeof group !== "object" || Array.isArray(group))
        throw new InvalidArgumentError("group", "expected { concurrency?, rateLimit? } or null");
      assertKnownFields(group, ["concurrency", "rateLimit"], "group");
      patch.group = {
        concurrency: group.concurrency === undefined ? null : limit(group.concurrency, "group.concurrency"),
        rateLimit: group.rateLimit === undefined ? null : rateLimit(group.rateLimit, "group.rateLimit"),
      };
    }
  }
  return patch;
}

/**
 * Joins a stored record (or none) with the queue's counts and this instance's cap; a push-back
 * that has passed by `now` (epoch ms) shows as `null`.
 */
export function queueInfo(
  name: string,
  record: QueueRecord | null,
  counts: Omit<Stats, "byQueue"> | undefined,
  localConcurrency: number | undefined,
  now: number,
): QueueInfo {
  const limitedUntil = record?.limitedUntil ?? null;
  return {
    name,
    paused: record?.paused ?? false,
    concurrency: record?.concurrency ?? null,
    rateLimit: record?.rateLimit ?? null,
    group: record?.group ?? null,
    limitedUntil: limitedUntil !== null && limitedUntil.getTime() > now ? limitedUntil : null,
    localConcurrency: localConcurrency ?? null,
    counts: counts ?? {
      pending: 0,
      scheduled: 0,
      running: 0,
      failed: 0,
      completed: 0,
      dead: 0,
      cancelled: 0,
    },
  };
}

function limit(value: unknown, field: string): number | null {
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      field,
      `expected an integer from 1 to ${2 ** 31 - 1}, or null, got ${describeValue(value)}`,
    );
  return value;
}

function rateLimit(value: RateLimitInput | null, field: string): RateLimit | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value))
    throw new InvalidArgumentError(field, "expected { max, per } or null");
  assertKnownFields(value, ["max", "per"], field);
  const max = limit(value.max, `${field}.max`);
  if (max === null) throw new InvalidArgumentError(`${field}.max`, "expected an integer of at least 1");
  let per: number;
  try {
    per = parseDuration(value.per, `${field}.per`);
  } catch (err) {
    throw err instanceof InvalidArgumentError ? err : new InvalidArgumentError(`${field}.per`, String(err));
  }
  if (!Number.isInteger(per) || per < 1 || per > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      `${field}.per`,
      `expected a whole number of ms from 1 ms to about 24 days, got ${describeDuration(value.per, per)}`,
    );
  return { max, per };
}
