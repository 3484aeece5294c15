import {
  InvalidArgumentError,
  JobCancelledError,
  LeaseLostError,
  SchedulerError,
  ShuttingDownError,
} from "../errors.js";
import type { Job } from "../jobs/job.js";
import { type Duration, parseDuration } from "../time/duration.js";
import { assertKnownFields } from "../validation/option-names.js";
import { readOptions } from "../validation/read-options.js";
import { describeValue } from "../validation/text.js";

/** How failed attempts are retried: exponential backoff with jitter, capped. */
export interface RetryOptions {
  /** Total attempts (first run included) for jobs that do not set `maxRetries`; default 3. */
  maxAttempts?: number;
  /** Delay before the first retry; default `"1s"`. */
  initialDelay?: Duration;
  /** Upper bound of any delay; default `"1h"`. */
  maxDelay?: Duration;
  /** Growth factor per attempt; default 2. */
  multiplier?: number;
  /** Fraction of the delay randomised, 0 to 1; default 0.2 (the delay varies by ±10%). */
  jitter?: number;
}

/** A validated retry policy. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly multiplier: number;
  readonly jitter: number;
  /**
   * The delay in ms before retrying after failed attempt number `attempt` (1 for the first run):
   * `initialDelay × multiplier^(attempt-1)`, at most `maxDelay ÷ (1 + jitter/2)`, then jittered by
   * ±`jitter/2` of itself, so that no delay passes `maxDelay` and delays at the cap still spread
   * (from `maxDelay × (1 - jitter/2) ÷ (1 + jitter/2)` to `maxDelay`). `random` returns a number in
   * [0, 1).
   */
  delayFor(attempt: number, random?: () => number): number;
}

/**
 * Builds a validated {@link RetryPolicy}; pass it (or plain {@link RetryOptions}) as the scheduler's
 * `retry` option or a handler's `retry` option.
 *
 * @example
 * s.register("sync", fn, { retry: retry({ initialDelay: "5s", multiplier: 3 }) });
 * @throws InvalidArgumentError naming the bad field.
 */
export function retry(given: RetryOptions = {}): RetryPolicy {
  const options = readOptions(given, "retry");
  assertKnownFields(options, ["maxAttempts", "initialDelay", "maxDelay", "multiplier", "jitter"], "retry");
  const maxAttempts = options.maxAttempts ?? 3;
  // A job takes at most 1000 retries (`maxRetries`): more attempts could never be enqueued.
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 1001) {
    throw new InvalidArgumentError(
      "retry.maxAttempts",
      `expected an integer from 1 to 1001 (at most 1000 retries), got ${describeValue(maxAttempts)}`,
    );
  }
  const initialDelay = parseDuration(options.initialDelay ?? "1s", "retry.initialDelay");
  const maxDelay = parseDuration(options.maxDelay ?? "1h", "retry.maxDelay");
  const multiplier = options.multiplier ?? 2;
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    throw new InvalidArgumentError(
      "retry.multiplier",
      `expected a number >= 1, got ${describeValue(multiplier)}`,
    );
  }
  const jitter = options.jitter ?? 0.2;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw new InvalidArgumentError(
      "retry.jitter",
      `expected a number from 0 to 1, got ${describeValue(jitter)}`,
    );
  }
  return {
    maxAttempts,
    initialDelay,
    maxDelay,
    multiplier,
    jitter,
    delayFor(attempt, random = Math.random) {
      // The jitter's whole range stays under maxDelay: capping after the jitter would put every
      // retry past the cap on maxDelay exactly, all of them at once.
      // An initialDelay of 0 stays 0 however large the power (0 × Infinity is NaN, which parked a
      // job until the year 9999).
      const grown = initialDelay === 0 ? 0 : initialDelay * multiplier ** Math.max(0, attempt - 1);
      const base = Math.min(grown, maxDelay / (1 + jitter / 2));
      const r = random();
      const unit = r >= 0 && r <= 1 ? r : 0.5;
      return Math.round(Math.min(maxDelay, base * (1 - jitter / 2 + jitter * unit)));
    },
  };
}

/** Returns `value` when it is already a policy, else validates it with {@link retry}. */
export function toRetryPolicy(value: RetryOptions | RetryPolicy | undefined): RetryPolicy {
  if (value && typeof (value as RetryPolicy).delayFor === "function") return value as RetryPolicy;
  return retry(value as RetryOptions | undefined);
}

/** Thrown (via {@link retryAfter}) to retry after a specific delay instead of the backoff. */
export class RetryAfterError extends SchedulerError {
  /** The delay before the next attempt, in ms. */
  readonly delayMs: number;
  /** Wraps `cause`, keeping its message. */
  constructor(cause: unknown, delayMs: number) {
    super("RETRY_AFTER", cause instanceof Error ? cause.message : String(cause), { cause });
    this.delayMs = delayMs;
  }
}

/** Thrown (via {@link permanent}) to send a job straight to the dead-letter queue without retrying. */
export class PermanentError extends SchedulerError {
  /** Wraps `cause`, keeping its message. */
  constructor(cause: unknown) {
    super("PERMANENT_FAILURE", cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Wraps an error so the job is retried after `delay` rather than the backoff delay
 * (still counting against `maxRetries`).
 *
 * @param delay - ms or a duration string, at most about 24 days (2^31 - 1 ms).
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a delay that is no duration or is longer.
 * @example
 * if (res.status === 429) throw retryAfter(new Error("rate limited"), res.headers.get("retry-after") + "s");
 */
export function retryAfter(err: unknown, delay: Duration): RetryAfterError {
  const delayMs = parseDuration(delay, "retryAfter delay");
  if (delayMs > MAX_RATE_LIMITED_MS) {
    throw new InvalidArgumentError(
      "retryAfter delay",
      `expected at most about 24 days (${MAX_RATE_LIMITED_MS} ms), got ${delayMs} ms`,
    );
  }
  return new RetryAfterError(err, delayMs);
}

/**
 * Wraps an error so the job is not retried: it goes straight to the dead-letter queue.
 *
 * @example
 * if (!user) throw permanent(new Error(`user ${id} does not exist`));
 */
export function permanent(err: unknown): PermanentError {
  return new PermanentError(err);
}

/**
 * Thrown (via {@link rateLimited}) when an external service asks to slow down: the job waits
 * again without using a retry, and its group (or its whole queue) is not claimed on any instance
 * before the delay has passed.
 */
export class RateLimitedError extends SchedulerError {
  /** How long the job and its group or queue wait, in ms. */
  readonly delayMs: number;
  /** What is pushed back: `group` (the job's group, or its queue when it has none) or `queue`. */
  readonly scope: "group" | "queue";
  constructor(delayMs: number, scope: "group" | "queue", message = `rate limited for ${delayMs}ms`) {
    super("RATE_LIMITED", message);
    this.delayMs = delayMs;
    this.scope = scope;
  }
}

/** The longest delay `rateLimited` takes, in ms (2^31 − 1, about 24.8 days). */
export const MAX_RATE_LIMITED_MS = 2 ** 31 - 1;

/** Options of {@link rateLimited}. */
export interface RateLimitedOptions {
  /**
   * `"group"` (default) pushes back the job's group, or its whole queue when the job has no
   * group; `"queue"` pushes back the whole queue.
   */
  scope?: "group" | "queue";
}

/**
 * Signals from a handler that an external service is rate limiting: the job goes back to wait
 * for `delay` (a duration string such as `"30s"`, or ms; 1 ms to about 24 days, see
 * {@link MAX_RATE_LIMITED_MS}) without using one of its retries, and no
 * instance claims a job of its group (or of its queue, with `scope: "queue"`) before then.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a bad delay (not a duration, below 1 ms or
 *   above {@link MAX_RATE_LIMITED_MS}) or scope.
 * @example
 * if (res.status === 429) throw rateLimited(`${res.headers.get("retry-after") ?? 30}s`);
 */
export function rateLimited(delay: Duration, given: RateLimitedOptions = {}): RateLimitedError {
  const options = readOptions(given, "rateLimited options");
  assertKnownFields(options, ["scope"], "rateLimited options");
  const scope = options.scope ?? "group";
  if (scope !== "group" && scope !== "queue")
    throw new InvalidArgumentError("scope", `expected "group" or "queue", got ${describeValue(scope)}`);
  const delayMs = parseDuration(delay, "delay");
  if (!(delayMs >= 1 && delayMs <= MAX_RATE_LIMITED_MS))
    throw new InvalidArgumentError(
      "delay",
      `expected a duration of 1 ms to about 24 days (${MAX_RATE_LIMITED_MS} ms), got ${delayMs} ms`,
    );
  return new RateLimitedError(delayMs, scope);
}

/** What becomes of a job whose attempt failed; see {@link failureOutcome}. */
export type FailureOutcome = "retry" | "dead" | "interrupted" | "rateLimited" | "cancelled" | "leaseLost";

/**
 * What the runtime does with a job whose attempt failed with `err`: `"interrupted"` when the
 * attempt was stopped by shutdown (the job goes back to the queue at once, not counted as a
 * retry), `"cancelled"` when it was cancelled while running and `"leaseLost"` when its lease was
 * taken over (nothing is recorded for the attempt: the job is cancelled, or in another
 * instance's hands), `"dead"` for a {@link PermanentError} or when the job has used all its
 * retries, `"rateLimited"` for a {@link RateLimitedError} (the job waits again, no retry used),
 * and `"retry"` otherwise. `signal` is the attempt's `ctx.signal`, whose abort reason tells a
 * shutdown, a cancel and a lost lease. Middleware uses it to label an attempt before the
 * outcome is stored.
 *
 * @example
 * const outcome = failureOutcome(job, err, ctx.signal); // "retry" | "dead" | "interrupted" | …
 */
export function failureOutcome(
  job: Pick<Job, "retryCount" | "maxRetries">,
  err: Error,
  signal?: AbortSignal,
): FailureOutcome {
  if (err instanceof ShuttingDownError || signal?.reason instanceof ShuttingDownError) return "interrupted";
  if (signal?.reason instanceof JobCancelledError) return "cancelled";
  if (signal?.reason instanceof LeaseLostError) return "leaseLost";
  if (err instanceof RateLimitedError) return "rateLimited";
  if (err instanceof PermanentError || job.retryCount >= job.maxRetries) return "dead";
  return "retry";
}
