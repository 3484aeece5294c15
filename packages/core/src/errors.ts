import { quoteText } from "./validation/quote.js";
/**
 * Every error thrown by the public API is a {@link SchedulerError} with a stable `code`.
 * Codes are part of the public contract: match on `err.code`, not on messages.
 */

/** Options accepted by every {@link SchedulerError} constructor. */
export interface SchedulerErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
}

/** Base class of every error the scheduler throws. `code` is stable across versions. */
export class SchedulerError extends Error {
  /** A stable, machine-readable code such as `JOB_NOT_FOUND`. */
  readonly code: string;

  /** Creates an error with a stable `code` and an optional `cause`. */
  constructor(code: string, message: string, options?: SchedulerErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** A job id that does not exist in the store. */
export class JobNotFoundError extends SchedulerError {
  /** The id that was looked up. */
  readonly jobId: string;
  /** Creates the error for `jobId`. */
  constructor(jobId: string) {
    super("JOB_NOT_FOUND", `job ${quoteText(jobId, 200)} was not found`);
    this.jobId = jobId;
  }
}

/** A schedule name that no stored schedule has (it was never defined, or was unscheduled). */
export class ScheduleNotFoundError extends SchedulerError {
  /** The schedule name that was looked up. */
  readonly scheduleName: string;
  /** Creates the error for `scheduleName`. */
  constructor(scheduleName: string) {
    super(
      "SCHEDULE_NOT_FOUND",
      `schedule ${quoteText(scheduleName, 200)} was not found; define it with schedule(), every() or at() first`,
    );
    this.scheduleName = scheduleName;
  }
}

/** A cron expression, time zone, interval or date that cannot define a schedule. */
export class InvalidScheduleError extends SchedulerError {
  /** Creates the error; the message names the bad input. */
  constructor(message: string, options?: SchedulerErrorOptions) {
    super("INVALID_SCHEDULE", message, options);
  }
}

/**
 * An enqueue (or a retry of a dead or cancelled job) whose `uniqueKey` is already held by a job
 * of the same queue that is not final (scheduled, pending, failed waiting for its retry, or
 * running). Nothing was created or moved. The key is quoted as JSON in the message.
 */
export class JobAlreadyExistsError extends SchedulerError {
  /** The unique key that is taken. */
  readonly uniqueKey: string;
  /** The id of the job holding the key, when the store knows it. */
  readonly existingJobId: string | null;
  /** The queue in which the key is held, when known. */
  readonly queue: string | null;
  /** Creates the error for `uniqueKey` (held by `existingJobId` in `queue`, when known). */
  constructor(uniqueKey: string, existingJobId: string | null = null, queue: string | null = null) {
    super(
      "JOB_ALREADY_EXISTS",
      `uniqueKey ${quoteText(uniqueKey, 255)}${queue === null ? "" : ` in queue ${quoteText(queue, 200)}`} is held by a job that is scheduled, pending, failed (waiting for its retry) or running${
        existingJobId ? ` (job ${quoteText(existingJobId, 200)})` : ""
      }`,
    );
    this.uniqueKey = uniqueKey;
    this.existingJobId = existingJobId;
    this.queue = queue;
  }
}

/** An operation that only the leader may perform was attempted by a follower. */
export class NotLeaderError extends SchedulerError {
  /** Creates the error; `message` says what was attempted. */
  constructor(message = "this instance is not the leader") {
    super("NOT_LEADER", message);
  }
}

/** The scheduler is stopping or stopped and refuses new work. */
export class ShuttingDownError extends SchedulerError {
  /** Creates the error; `message` says what was refused. */
  constructor(message = "the scheduler is shutting down") {
    super("SHUTTING_DOWN", message);
  }
}

/** A configuration value (option or environment variable) that does not parse or is out of range. */
export class ConfigError extends SchedulerError {
  /** The option or environment variable at fault, e.g. `SCHEDULER_WORKERS`. */
  readonly field: string;
  /** Creates the error for `field`; the message names the bad value and what is expected. */
  constructor(field: string, message: string, options?: SchedulerErrorOptions) {
    super("CONFIG_INVALID", `${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * A store or leader adapter package that `createSchedulerFromEnv` needs is not installed, or is
 * installed without a package it depends on (its client, such as `pg` or `ioredis`).
 */
export class AdapterNotInstalledError extends SchedulerError {
  /** The npm package that could not be loaded. */
  readonly packageName: string;
  /** The package the adapter needs that is missing, when the adapter itself is installed. */
  readonly missingDependency: string | null;
  /** Creates the error for `packageName` (or for its `missingDependency`). */
  constructor(packageName: string, options?: SchedulerErrorOptions & { missingDependency?: string }) {
    const missing = options?.missingDependency;
    super(
      "ADAPTER_NOT_INSTALLED",
      missing === undefined
        ? `the package "${packageName}" is required by this configuration but could not be loaded; install it with: npm install ${packageName}`
        : `the package "${packageName}" is installed, but "${missing}", which it needs, could not be loaded; install it with: npm install ${missing}`,
      options,
    );
    this.packageName = packageName;
    this.missingDependency = missing ?? null;
  }
}

/** A bad argument to a public method: the message names the field and the bad value. */
export class InvalidArgumentError extends SchedulerError {
  /** The argument or field at fault, e.g. `payload` or `priority`. */
  readonly field: string;
  /** Creates the error for `field`. */
  constructor(field: string, message: string, options?: SchedulerErrorOptions) {
    super("INVALID_ARGUMENT", `${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * An action on one job that its status does not allow, such as promoting a completed job or
 * retrying a pending one: the message names the job, its status and the statuses the action
 * applies to.
 */
export class InvalidJobStateError extends SchedulerError {
  /** The job's id. */
  readonly jobId: string;
  /** The job's status when the action was refused. */
  readonly status: string;
  /** Creates the error for job `jobId` found in `status`. */
  constructor(jobId: string, status: string, message: string, options?: SchedulerErrorOptions) {
    super("INVALID_JOB_STATE", message, options);
    this.jobId = jobId;
    this.status = status;
  }
}

/**
 * A part of a job (its `payload`, or its `metadata`) whose JSON encoding is larger than the
 * configured limit (`maxPayloadBytes`, `maxMetadataBytes`).
 */
export class PayloadTooLargeError extends SchedulerError {
  /** The encoded size in bytes; a lower bound when {@link atLeast} is set. */
  readonly size: number;
  /** The configured limit in bytes. */
  readonly limit: number;
  /** The part over its limit, e.g. `payload`, `metadata` or `jobs[3].metadata`. */
  readonly field: string;
  /**
   * Whether `size` is only what was counted before the check stopped: a value shared under many
   * keys is written out once per key, so its JSON can be far larger than the object graph.
   */
  readonly atLeast: boolean;
  /** Creates the error for `field` of `size` bytes (at least `size`, with `atLeast`) over `limit`. */
  constructor(size: number, limit: number, field = "payload", atLeast = false) {
    super(
      "PAYLOAD_TOO_LARGE",
      atLeast
        ? `${field} is over the limit of ${limit} bytes as JSON (the check stopped after counting ${size}; a value shared under many keys is written out once per key)`
        : `${field} is ${size} bytes as JSON, over the limit of ${limit} bytes`,
    );
    this.size = size;
    this.limit = limit;
    this.field = field;
    this.atLeast = atLeast;
  }
}

/** `enqueue` of a job name with no registered handler, when `strictHandlers` is on. */
export class UnknownHandlerError extends SchedulerError {
  /** The job name without a handler. */
  readonly jobName: string;
  /** Creates the error for `jobName`. */
  constructor(jobName: string) {
    super(
      "UNKNOWN_HANDLER",
      `no handler is registered for job name ${quoteText(jobName, 200)}; call register(${quoteText(jobName, 200)}, handler) first`,
    );
    this.jobName = jobName;
  }
}

/** The reason a job's `ctx.signal` aborts when the job runs past its timeout. */
export class JobTimeoutError extends SchedulerError {
  /** The timeout that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /** Creates the error for a timeout of `timeoutMs`. */
  constructor(timeoutMs: number) {
    super("JOB_TIMEOUT", `job timed out after ${timeoutMs}ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The reason a job's `ctx.signal` aborts when the job is cancelled (`cancel(id)`, here or elsewhere). */
export class JobCancelledError extends SchedulerError {
  /** Creates the error; `message` says why the job stopped. */
  constructor(message = "job was cancelled") {
    super("JOB_CANCELLED", message);
  }
}

/**
 * The reason a job's `ctx.signal` aborts when this instance lost the job's lease without a cancel:
 * the lease expired (the process stalled, or could not reach the store to renew it) and the job
 * was recovered, or taken over by another worker. The attempt's outcome will be ignored (its
 * fencing token is stale); another attempt runs, or will. Not a `JobCancelledError`: cleanup meant
 * for a cancelled job should not run for a job that goes on elsewhere.
 */
export class LeaseLostError extends SchedulerError {
  /** Creates the error; `message` says how the lease was lost. */
  constructor(message = "the job's lease was lost: it expired and the job was taken over") {
    super("LEASE_LOST", message);
  }
}

/** A store or leader operation failed (connection lost, server error). The original is the `cause`. */
export class StoreError extends SchedulerError {
  /** Creates the error; `message` must not contain secrets such as passwords. */
  constructor(message: string, options?: SchedulerErrorOptions) {
    super("STORE_ERROR", message, options);
  }
}

/**
 * A call on a store (or leader) after its `close()`. A scheduler whose store was closed under it
 * stops its loops instead of retrying.
 */
export class StoreClosedError extends SchedulerError {
  /** Creates the error; `message` names the store, e.g. "the PostgresStore is closed". */
  constructor(message: string) {
    super("STORE_CLOSED", `${message}; create a new one`);
  }
}

/**
 * A store call that did not answer within `storeTimeout` (the backend hangs, or the network to it).
 * The call may still complete on the backend later: an enqueue that timed out may have been stored
 * (use a `uniqueKey` to retry it safely).
 */
export class StoreTimeoutError extends SchedulerError {
  /** The store operation that timed out, e.g. `claimDueJobs`. */
  readonly operation: string;
  /** The timeout, in ms. */
  readonly timeoutMs: number;
  /** Where the store keeps its data (its `describeServer()`), or `null` when it does not say. */
  readonly server: string | null;
  /**
   * Creates the error for `operation` after `timeoutMs`, naming `server` (an address without
   * secrets, from the store's `describeServer()`) when given.
   */
  constructor(operation: string, timeoutMs: number, server?: string) {
    super(
      "STORE_TIMEOUT",
      `the store${server === undefined ? "" : ` (${server})`} did not answer ${operation} within ${timeoutMs}ms`,
    );
    this.operation = operation;
    this.timeoutMs = timeoutMs;
    this.server = server ?? null;
  }
}

/**
 * The store lost its data (a restart without persistence, a flush, a failover to an empty
 * replica): jobs stored before are gone. Reported by `healthCheck()` for a while after the loss
 * was noticed; each instance restores the schedules it defines.
 */
export class StoreStateLostError extends SchedulerError {
  /** When the loss was noticed. */
  readonly noticedAt: Date;
  /** Creates the error for a loss noticed at `noticedAt`. */
  constructor(noticedAt: Date) {
    super(
      "STORE_STATE_LOST",
      `the store lost its data (noticed at ${noticedAt.toISOString()}): jobs stored before are gone, and the schedules this instance defines were restored`,
    );
    this.noticedAt = noticedAt;
  }
}

/**
 * Whether `err` says the store was closed (code `STORE_CLOSED`). Read by `code`, not by class: a
 * store built against the other module format of `@sched/core` (CommonJS beside ES modules) throws
 * errors of its own copy of the classes.
 */
export function isStoreClosed(err: unknown): boolean {
  return hasErrorCode(err, "STORE_CLOSED");
}

/**
 * Whether `err` is an `Error` whose `code` is `code` (such as `JOB_ALREADY_EXISTS`), whichever
 * copy of the error classes made it: `instanceof` fails across the CommonJS and ES module builds
 * of `@sched/core`, `code` does not.
 */
export function hasErrorCode(err: unknown, code: string): err is Error & { code: string } {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/** A payload rejected by the schema given to `typedHandler`. The job goes to the dead-letter queue. */
export class PayloadValidationError extends SchedulerError {
  /** The issues reported by the schema. */
  readonly issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>;
  /** Creates the error from the schema's issues. */
  constructor(issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>) {
    super("PAYLOAD_INVALID", `payload failed validation: ${issues.map((i) => i.message).join("; ")}`);
    this.issues = issues;
  }
}

/**
 * Turns anything thrown (including non-Errors) into an `Error` whose `message` is a string that
 * can be read. Never throws, whatever was thrown: an error whose `message` getter throws, or a
 * Proxy whose traps throw, becomes a plain `Error` saying so.
 */
export function toError(value: unknown): Error {
  try {
    if (value instanceof Error) {
      const message: unknown = value.message;
      if (typeof message === "string") return value;
      return new Error(`an error with a ${typeof message} message was thrown: ${String(message)}`);
    }
    if (typeof value === "string") return new Error(value);
    let text: string;
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    return new Error(`non-Error thrown: ${text}`);
  } catch {
    return new Error("a value was thrown that cannot be read (reading it threw)");
  }
}
