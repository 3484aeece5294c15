import type { Duration } from "../time/duration.js";

/** Options shared by `enqueue` and recurring schedules. */
export interface JobOptions {
  /** Queue name; default `"default"`. */
  queue?: string;
  /** Higher runs first; default `0`. */
  priority?: number;
  /** Retries after the first failure; default from the handler's options or the scheduler's `retry.maxAttempts - 1`. */
  maxRetries?: number;
  /** Handler timeout; default the handler's or the scheduler's `defaultTimeout`. `0` disables it. */
  timeout?: Duration;
  /**
   * String metadata carried with the job. Keys starting with `sched.` are @sched's own (the
   * `sched.schedule`, `sched.tick` and `sched.origin` of a schedule's jobs, `sched.deadLetter` of
   * a dead letter): a job given one is refused with an `InvalidArgumentError`
   * (`INVALID_ARGUMENT`) naming the key.
   */
  metadata?: Record<string, string>;
  /** Only one non-final job may hold this key. */
  uniqueKey?: string;
}

/**
 * A deduplication window of `enqueue` (see the core README, "Deduplication windows"):
 * `throttle` keeps the first job of each window of `ttl` and drops later ones (returning the kept
 * job); `debounce` keeps one waiting job per key, runs it `ttl` after the latest enqueue with the
 * latest payload, and never later than `maxWait` after the first.
 */
export interface DedupeInput {
  /** The key, 1 to 255 characters; windows are kept per queue and key. */
  key: string;
  /** The window (`throttle`) or the quiet period (`debounce`): a duration string or ms, > 0. */
  ttl: Duration;
  /** Default `"throttle"`. */
  mode?: "throttle" | "debounce";
  /** `debounce` only: the longest a job may be pushed back from the first enqueue of its window. */
  maxWait?: Duration;
}

/** A job to enqueue. */
export interface NewJob<P = unknown> extends JobOptions {
  /** The handler name. */
  name: string;
  /**
   * The job's group key (a tenant, a user, an account; 1 to 255 characters): the queue's group
   * limits (`configureQueue`) count per key, and claims rotate between keys.
   */
  group?: string;
  /** A deduplication window (`enqueue` only; not with `uniqueKey`). */
  dedupe?: DedupeInput;
  /** A JSON-serialisable payload. */
  payload?: P;
  /** Run no earlier than this long from now. */
  delay?: Duration;
  /** Run no earlier than this instant (takes precedence over `delay`). */
  runAt?: Date;
}

/**
 * Payload types by job name, for a scheduler that checks names and payloads at compile time:
 * `createScheduler<{ send_email: { to: string }; cleanup: null }>()` (an interface works too). The
 * default map takes any name with a payload of type `unknown`.
 */
export type JobMap = Record<string, unknown>;

/** The job names of a job map. */
export type JobName<Jobs extends object> = Extract<keyof Jobs, string>;

/**
 * The payload type of jobs named `N`: `P` when given explicitly (`register<{ to: string }>(...)`),
 * else the job map's type for `N`.
 */
export type PayloadOf<Jobs extends object, N extends JobName<Jobs>, P> = [P] extends [never] ? Jobs[N] : P;

/**
 * A job to enqueue with a payload of type `P`: the payload may be left out only when `P` admits
 * `undefined` or `null` (an untyped job's `unknown` does).
 */
export type NewJobInput<P> = Omit<NewJob<P>, "payload"> &
  (undefined extends P ? { payload?: P } : null extends P ? { payload?: P } : { payload: P });

/** A job to enqueue whose name is one of `Jobs`' and whose payload has that name's type. */
export type NewJobOf<Jobs extends object> = {
  [N in JobName<Jobs>]: NewJobInput<Jobs[N]> & { name: N };
}[JobName<Jobs>];
