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
  /** String metadata carried with the job. */
  metadata?: Record<string, string>;
  /** Only one non-final job may hold this key. */
  uniqueKey?: string;
}

/** A job to enqueue. */
export interface NewJob<P = unknown> extends JobOptions {
  /** The handler name. */
  name: string;
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
