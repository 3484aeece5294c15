import { ConfigError, SchedulerError } from "../errors.js";
import { HOOK_NAMES, type Hook } from "../hooks/hook.js";
import { type IdGenerator, uuidv7Generator } from "../jobs/ids.js";
import type { Leader } from "../leadership/leader.js";
import type { Logger } from "../logger/logger.js";
import { assertLogger, safeLogger } from "../logger/safe-logger.js";
import type { Middleware } from "../middleware/middleware.js";
import { type RetryOptions, type RetryPolicy, toRetryPolicy } from "../retry/retry.js";
import type { MisfirePolicy, Store, StoreCapabilities } from "../store/store.js";
import { type Clock, systemClock } from "../time/clock.js";
import { type Duration, parseDuration, parseTimeout } from "../time/duration.js";
import { checkedIdGenerator } from "../validation/job-id.js";
import { assertKnownOptions, type ForeignNames } from "../validation/option-names.js";
import { describeValue, unstorableReason } from "../validation/text.js";

/** Options of `createScheduler`. Every field is optional. */
export interface SchedulerOptions<Tx = unknown> {
  /** Where jobs and schedules live; default a new `MemoryStore`. */
  store?: Store<Tx>;
  /** Handlers run concurrently in this instance; default 10. */
  workers?: number;
  /**
   * Queues this instance processes; default all queues. Either a list of names, or an object by
   * queue name whose values may cap how many jobs of that queue run at once on this instance
   * (`{ emails: { concurrency: 5 }, reports: {} }`; `workers` still caps the total). For a limit
   * across all instances, see `configureQueue`.
   */
  queues?: string[] | Record<string, QueueOptions>;
  /** Longest wait between checks for due jobs when no wake-up arrives; default `"1s"`. */
  pollInterval?: Duration;
  /** Timeout of handlers that set none; default `"5m"`. `0` disables it. */
  defaultTimeout?: Duration;
  /** Retry policy of jobs that set none. */
  retry?: RetryOptions | RetryPolicy;
  /** The dead-letter queue. */
  deadLetter?: {
    /** Keep dead jobs and call the dead-letter handler; default true. When false, dead jobs are purged at the next cleanup. */
    enabled?: boolean;
    /** Name of the dead-letter handler (register a handler under it to be called with each dead job); default `"dead"`. */
    queue?: string;
    /** How long dead jobs are kept; default `"168h"`. */
    retention?: Duration;
  };
  /** Several instances sharing one store. */
  distributed?: {
    /**
     * Several instances share the store and only the `leader` fires schedules; default true when a
     * `leader` is given, else false (this instance always fires them). `false` with a leader is refused.
     */
    enabled?: boolean;
    /** This instance's id; default a random UUID. */
    instanceId?: string;
    /** Lease of the leadership and of each running job; default `"30s"`. */
    lockTTL?: Duration;
    /** How often leases are renewed; default `"10s"`. Must be less than `lockTTL`. */
    lockRefresh?: Duration;
  };
  /** Leadership; required when `distributed.enabled`. */
  leader?: Leader;
  /** Anything with debug/info/warn/error; default `console` (debug suppressed). */
  logger?: Logger;
  /** Lifecycle hooks. */
  hooks?: Hook[];
  /** Injectable clock for tests; default the system clock. */
  clock?: Clock;
  /** How long completed jobs are kept; default `"24h"`. `0` deletes them on completion. */
  completedRetention?: Duration;
  /** How often completed/dead/cancelled jobs past retention are purged; default `"1m"`. */
  cleanupInterval?: Duration;
  /** Largest payload accepted, in bytes of JSON; default 1 MiB. `0` disables the check. */
  maxPayloadBytes?: number;
  /** Largest metadata accepted, in bytes of JSON; default 16 KiB. `0` disables the check. */
  maxMetadataBytes?: number;
  /** Reject `enqueue` of job names with no registered handler; default false. */
  strictHandlers?: boolean;
  /** Default misfire policy of schedules; default `"once"`. */
  misfire?: MisfirePolicy;
  /** How late a tick may fire and still count as on time (for the `skip` policy); default `"1m"`. */
  misfireGrace?: Duration;
  /** At most this many catch-up jobs for the `all` misfire policy; default 100. */
  misfireLimit?: number;
  /**
   * The longest any store call may take before it fails with `StoreTimeoutError`
   * (`STORE_TIMEOUT`), so that no call and no loop waits for ever on a backend that hangs; default
   * `"10s"`. Measured in real time.
   */
  storeTimeout?: Duration;
  /** How many times a job whose lease expired (its process died) is run again before it is dead; default 3. */
  maxLeaseRecoveries?: number;
  /**
   * Most jobs claimed in one store call; default `max(workers, 50)`, or `max(workers +
   * min(prefetch, workers), 50)` (twice the workers with the default prefetch) on a store whose
   * claims cost mostly per call (`store.capabilities.largeClaims`: Redis), or `max(workers +
   * prefetch, 50)` on one that also declares `wholePrefetchClaims` (PostgreSQL).
   */
  claimBatchSize?: number;
  /**
   * Most claimed jobs that may wait here for a free slot (an integer ≥ 0; default `3 × workers`:
   * on a store with `largeClaims`, the waiting half of one claim of twice the workers and the whole
   * of the next, which is then sent while the first one's jobs run, or, with `wholePrefetchClaims`,
   * the waiting three quarters of one claim; `0` claims only for free slots). A claim asks for more
   * than the free slots only while jobs end quickly: as many as are expected to end during its round trip (Little's law over moving
   * averages of run and claim times), so the next jobs are in hand when slots free up instead of
   * one round trip later (the local queue of graphile-worker, RabbitMQ's prefetch count). Waiting
   * jobs go back to the queue, no retry used, at `stop()`, on `pauseQueue()` here, on a handler's
   * `rateLimited` for their queue or group, and after waiting the least of 1 s, `lockTTL / 4` and
   * `(lockTTL - lockRefresh) / 2` (ms). Off while a queue has a per-instance cap
   * (`queues: { name: { concurrency } }`).
   */
  prefetch?: number;
  /**
   * Job ids; default time-ordered UUIDv7. Each id it makes must be a string of 1 to 200
   * characters with no U+0000, lone surrogate, `/`, `\`, `%` or control character, not `.` or
   * `..` (the HTTP API's job paths carry it), and not ending in `:dead:<number>` (a dead letter's
   * id); otherwise the enqueue fails with InvalidArgumentError (`INVALID_ARGUMENT`) naming
   * `idGenerator`, and nothing is stored.
   */
  idGenerator?: IdGenerator;
  /**
   * Source of randomness for backoff jitter, in [0, 1); default `Math.random`. A value outside
   * is clamped into the range; a call that throws counts as 0.5 (no jitter).
   */
  random?: () => number;
  /** Middleware applied to every handler (same as calling `use`). */
  middleware?: Middleware[];
}

/** {@link SchedulerOptions} with defaults applied and durations in ms. */
export interface ResolvedOptions {
  workers: number;
  queues: string[] | null;
  /** Per-instance caps by queue name (from the object form of `queues`); empty when none. */
  queueConcurrency: Record<string, number>;
  pollInterval: number;
  defaultTimeout: number;
  retry: RetryPolicy;
  deadLetter: { enabled: boolean; queue: string; retention: number };
  distributed: { enabled: boolean; instanceId: string; lockTTL: number; lockRefresh: number };
  logger: Logger;
  clock: Clock;
  completedRetention: number;
  cleanupInterval: number;
  maxPayloadBytes: number;
  maxMetadataBytes: number;
  strictHandlers: boolean;
  misfire: MisfirePolicy;
  misfireGrace: number;
  misfireLimit: number;
  maxLeaseRecoveries: number;
  storeTimeout: number;
  claimBatchSize: number;
  prefetch: number;
  idGenerator: IdGenerator;
  random: () => number;
}

const NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;
/** A part of a name between slashes (or at either end) that is "." or "..". */
const DOT_PART = /(?:^|\/)\.{1,2}(?:\/|$)/;

/**
 * Validates a job, queue or schedule name: 1-200 characters from `A-Z a-z 0-9 _ . : - /`, with no
 * `/`-separated part that is `.` or `..` (a URL path could not name it: RFC 3986 §5.2.4 removes
 * such dot segments, so the HTTP API and the dashboard could never reach it).
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `field`.
 */
export function assertName(value: unknown, field: string): string {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ConfigError(
      field,
      `expected 1-200 characters from A-Z a-z 0-9 _ . : - /, got ${describeValue(value)}`,
    );
  }
  if (value.includes(".") && DOT_PART.test(value)) {
    throw new ConfigError(
      field,
      `a "." or ".." between slashes cannot be a name's part (a URL cannot name it), got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A duration option that must be above 0 ms. */
function positiveDuration(value: Duration | undefined, fallback: Duration, field: string): number {
  const ms = duration(value, fallback, field);
  if (ms <= 0) throw new ConfigError(field, "must be positive");
  return ms;
}

/**
 * `random` kept within [0, 1): what a user's function returns outside it (NaN, 5) would stretch
 * every jittered delay past what was asked, or park a job until the year 9999.
 */
function unitInterval(random: () => number): () => number {
  return () => {
    let r: number;
    try {
      r = random();
    } catch {
      // A `random` that throws must not lose the failure being recorded (it ended the process
      // with an unhandled rejection): the middle of the range, no jitter either way.
      return 0.5;
    }
    return r >= 0 && r < 1 ? r : r >= 1 ? 1 - Number.EPSILON : 0;
  };
}

function duration(
  value: Duration | undefined,
  fallback: Duration,
  field: string,
  parse: (value: Duration, field: string) => number = parseDuration,
): number {
  try {
    return parse(value ?? fallback, field);
  } catch (err) {
    // The parser's message is kept; no cause, so nothing else can carry the value along.
    throw new ConfigError(field, (err as Error).message.replace(`${field}: `, ""));
  }
}

/**
 * How many jobs the default claim takes beyond one per worker: none on most stores; on a store
 * with `largeClaims`, as many again as the workers (the prefetch then has room for the next
 * claim), or the whole prefetch with `wholePrefetchClaims` (see {@link StoreCapabilities}).
 */
function claimedAhead(
  capabilities: StoreCapabilities | undefined,
  workers: number,
  prefetch: number,
): number {
  if (capabilities?.largeClaims !== true) return 0;
  return capabilities.wholePrefetchClaims === true ? prefetch : Math.min(prefetch, workers);
}

/** The largest count an option takes (workers, prefetch, claim sizes, limits): one million. */
export const MAX_COUNT_OPTION = 1_000_000;

function positiveInt(
  value: number | undefined,
  fallback: number,
  field: string,
  min = 1,
  max = MAX_COUNT_OPTION,
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new ConfigError(field, `expected an integer from ${min} to ${max}, got ${describeValue(v)}`);
  return v;
}

/** A boolean option: `true` or `false`, not a string such as `"false"` (which would be true). */
function bool(value: unknown, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new ConfigError(field, `expected true or false, got ${describeValue(value)}`);
  return value;
}

/**
 * Checks the instance id every lease this instance takes is stamped with: 1-200 characters that
 * every store can keep (no U+0000, no lone surrogate), as leaders require of theirs.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `distributed.instanceId`, never quoting the value.
 */
function assertInstanceId(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) {
    throw new ConfigError("distributed.instanceId", `expected 1-200 characters, got ${describeValue(value)}`);
  }
  const reason = unstorableReason(value);
  if (reason !== null) throw new ConfigError("distributed.instanceId", reason);
  return value;
}

/** A console logger without debug noise. */
const defaultLogger: Logger = {
  debug() {},
  info: (m, f) => console.info(`[sched] ${m}`, f ?? ""),
  warn: (m, f) => console.warn(`[sched] ${m}`, f ?? ""),
  error: (m, f) => console.error(`[sched] ${m}`, f ?? ""),
};

/** Every option of {@link SchedulerOptions}, and of its nested objects. */
const OPTION_NAMES = [
  "store",
  "workers",
  "queues",
  "pollInterval",
  "defaultTimeout",
  "retry",
  "deadLetter",
  "distributed",
  "leader",
  "logger",
  "hooks",
  "clock",
  "completedRetention",
  "cleanupInterval",
  "maxPayloadBytes",
  "maxMetadataBytes",
  "strictHandlers",
  "misfire",
  "misfireGrace",
  "misfireLimit",
  "maxLeaseRecoveries",
  "storeTimeout",
  "claimBatchSize",
  "prefetch",
  "idGenerator",
  "random",
  "middleware",
] as const satisfies ReadonlyArray<keyof SchedulerOptions>;
/** Names other job queues give to options of {@link SchedulerOptions}, with the option meant. */
const FOREIGN_OPTION_NAMES: ForeignNames = {
  concurrency: "workers",
  connection: "store",
  timeout: "defaultTimeout",
  removeOnComplete: "completedRetention",
  pollingIntervalSeconds: "pollInterval",
};
const DEAD_LETTER_OPTIONS = ["enabled", "queue", "retention"] as const;
const DISTRIBUTED_OPTIONS = ["enabled", "instanceId", "lockTTL", "lockRefresh"] as const;
const RETRY_OPTIONS = ["maxAttempts", "initialDelay", "maxDelay", "multiplier", "jitter"] as const;
const STORE_METHODS = [
  "createJobs",
  "getJob",
  "listJobs",
  "retryJobs",
  "deleteJobs",
  "deleteJob",
  "promoteJob",
  "saveInstance",
  "removeInstance",
  "listInstances",
  "addThroughput",
  "throughput",
  "createDedupedJob",
  "updateQueue",
  "getQueue",
  "listQueues",
  "rateLimitJob",
  "cancelJob",
  "requeueJob",
  "claimDueJobs",
  "completeJobs",
  "failJob",
  "releaseJobs",
  "renewLeases",
  "recoverExpiredLeases",
  "nextDueAt",
  "waitingJobNames",
  "saveSchedule",
  "getSchedule",
  "listSchedules",
  "deleteSchedule",
  "fireScheduleTick",
  "cleanup",
  "stats",
  "ping",
  "close",
] as const satisfies ReadonlyArray<keyof Store>;
const LEADER_METHODS = ["isLeader", "acquire", "release", "onLeaderChange"] as const satisfies ReadonlyArray<
  keyof Leader
>;

/** Checks that `value` is an object with every method in `methods`. */
function assertMethods(value: unknown, methods: readonly string[], field: string, hint: string): void {
  if (value === null || typeof value !== "object") {
    throw new ConfigError(field, `expected ${hint}, got ${value === null ? "null" : typeof value}`);
  }
  const missing = methods.filter(
    (method) => typeof (value as Record<string, unknown>)[method] !== "function",
  );
  if (missing.length > 0) {
    throw new ConfigError(field, `expected ${hint}; it has no ${missing.join(", ")} method`);
  }
}

/**
 * Applies defaults and validates every option, unknown option names included.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the option.
 */
export function resolveOptions(options: SchedulerOptions): ResolvedOptions {
  assertKnownOptions(options, OPTION_NAMES, "", FOREIGN_OPTION_NAMES);
  assertKnownOptions(options.deadLetter, DEAD_LETTER_OPTIONS, "deadLetter");
  assertKnownOptions(options.distributed, DISTRIBUTED_OPTIONS, "distributed");
  if (options.retry === null)
    throw new ConfigError("retry", "expected retry options or a RetryPolicy, got null");
  if (options.retry !== undefined && typeof (options.retry as RetryPolicy).delayFor !== "function") {
    assertKnownOptions(options.retry, RETRY_OPTIONS, "retry");
  }
  if (options.logger !== undefined) assertLogger(options.logger);
  if (options.clock !== undefined) {
    assertMethods(
      options.clock,
      ["now", "setTimeout", "clearTimeout"],
      "clock",
      "a Clock (now, setTimeout, clearTimeout)",
    );
  }
  if (options.store !== undefined) {
    assertMethods(
      options.store,
      STORE_METHODS,
      "store",
      "a Store of this version of @sched (update the store package if a method is missing)",
    );
  }
  if (options.leader !== undefined) {
    assertMethods(
      options.leader,
      LEADER_METHODS,
      "leader",
      "a Leader (isLeader, acquire, release, onLeaderChange)",
    );
  }
  if (
    options.hooks !== undefined &&
    (!Array.isArray(options.hooks) || options.hooks.some((h) => h === null || typeof h !== "object"))
  ) {
    throw new ConfigError("hooks", "expected an array of hook objects");
  }
  for (const [i, hook] of (options.hooks ?? []).entries()) {
    assertKnownOptions(hook, HOOK_NAMES, `hooks[${i}]`);
    for (const name of HOOK_NAMES) {
      if (hook[name] !== undefined && typeof hook[name] !== "function") {
        throw new ConfigError(`hooks[${i}].${name}`, `expected a function, got ${typeof hook[name]}`);
      }
    }
  }
  bool(options.distributed?.enabled, false, "distributed.enabled");
  if (options.leader !== undefined && options.distributed?.enabled === false) {
    throw new ConfigError(
      "distributed.enabled",
      "is false while a leader is given: the leader would be ignored and every instance would fire schedules; drop the leader or enable distributed",
    );
  }
  if (options.middleware !== undefined && !Array.isArray(options.middleware)) {
    throw new ConfigError("middleware", "expected an array of middleware functions");
  }
  for (const [i, mw] of (options.middleware ?? []).entries()) {
    if (typeof mw !== "function") {
      throw new ConfigError(`middleware[${i}]`, `expected a middleware function, got ${describeValue(mw)}`);
    }
  }
  for (const name of ["idGenerator", "random"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new ConfigError(name, `expected a function, got ${typeof options[name]}`);
    }
  }
  const workers = positiveInt(options.workers, 10, "workers");
  // Defaults derived from workers stay within the ceiling a value given may reach.
  const prefetch = positiveInt(options.prefetch, Math.min(3 * workers, MAX_COUNT_OPTION), "prefetch", 0);
  const { queues, queueConcurrency } = resolveQueues(options.queues);
  if (queues && queues.length === 0)
    throw new ConfigError("queues", "expected at least one queue, or leave it unset");
  const lockTTL = duration(options.distributed?.lockTTL, "30s", "distributed.lockTTL");
  const lockRefresh = duration(options.distributed?.lockRefresh, "10s", "distributed.lockRefresh");
  if (lockTTL <= 0) throw new ConfigError("distributed.lockTTL", "must be positive");
  if (lockRefresh <= 0 || lockRefresh >= lockTTL) {
    throw new ConfigError(
      "distributed.lockRefresh",
      `must be positive and less than lockTTL (${lockTTL}ms), got ${lockRefresh}ms`,
    );
  }
  const pollInterval = positiveDuration(options.pollInterval, "1s", "pollInterval");
  let retryPolicy: RetryPolicy;
  try {
    retryPolicy = toRetryPolicy(options.retry);
  } catch (err) {
    throw err instanceof SchedulerError && "field" in err
      ? new ConfigError(String(err.field), err.message.replace(`${String(err.field)}: `, ""), { cause: err })
      : err;
  }
  const misfire = options.misfire ?? "once";
  if (!["skip", "once", "all"].includes(misfire)) {
    throw new ConfigError("misfire", `expected "skip", "once" or "all", got ${describeValue(misfire)}`);
  }
  // A leader given means several instances: it is used without distributed.enabled too.
  const distributedEnabled = options.distributed?.enabled ?? options.leader !== undefined;
  if (distributedEnabled && !options.leader) {
    throw new ConfigError(
      "leader",
      "distributed.enabled requires a leader (for example new PostgresLeader(...))",
    );
  }
  const maxPayloadBytes = positiveInt(
    options.maxPayloadBytes,
    1024 * 1024,
    "maxPayloadBytes",
    0,
    2 ** 31 - 1,
  );
  const maxMetadataBytes = positiveInt(
    options.maxMetadataBytes,
    16 * 1024,
    "maxMetadataBytes",
    0,
    2 ** 31 - 1,
  );
  const storeTimeout = positiveDuration(options.storeTimeout, "10s", "storeTimeout");
  const clock = options.clock ?? systemClock;
  return {
    workers,
    queues,
    queueConcurrency,
    pollInterval,
    defaultTimeout: duration(options.defaultTimeout, "5m", "defaultTimeout", parseTimeout),
    retry: retryPolicy,
    deadLetter: {
      enabled: bool(options.deadLetter?.enabled, true, "deadLetter.enabled"),
      queue: assertName(options.deadLetter?.queue ?? "dead", "deadLetter.queue"),
      retention: duration(options.deadLetter?.retention, "168h", "deadLetter.retention"),
    },
    distributed: {
      enabled: distributedEnabled,
      instanceId: assertInstanceId(
        options.distributed?.instanceId ?? options.leader?.instanceId ?? crypto.randomUUID(),
      ),
      lockTTL,
      lockRefresh,
    },
    logger: safeLogger(options.logger ?? defaultLogger),
    clock,
    completedRetention: duration(options.completedRetention, "24h", "completedRetention"),
    cleanupInterval: positiveDuration(options.cleanupInterval, "1m", "cleanupInterval"),
    maxPayloadBytes,
    maxMetadataBytes,
    strictHandlers: bool(options.strictHandlers, false, "strictHandlers"),
    misfire,
    misfireGrace: duration(options.misfireGrace, "1m", "misfireGrace"),
    misfireLimit: positiveInt(options.misfireLimit, 100, "misfireLimit"),
    maxLeaseRecoveries: positiveInt(options.maxLeaseRecoveries, 3, "maxLeaseRecoveries", 0),
    storeTimeout,
    claimBatchSize: positiveInt(
      options.claimBatchSize,
      Math.min(
        Math.max(workers + claimedAhead(options.store?.capabilities, workers, prefetch), 50),
        MAX_COUNT_OPTION,
      ),
      "claimBatchSize",
    ),
    prefetch,
    idGenerator:
      options.idGenerator === undefined
        ? uuidv7Generator(() => clock.now())
        : checkedIdGenerator(options.idGenerator),
    random: options.random === undefined ? Math.random : unitInterval(options.random),
  };
}

/** Options of one queue in the object form of `queues` (per instance). */
export interface QueueOptions {
  /** The most jobs of this queue running at once on this instance (an integer ≥ 1); default no cap beyond `workers`. */
  concurrency?: number;
}

function resolveQueues(value: SchedulerOptions["queues"]): {
  queues: string[] | null;
  queueConcurrency: Record<string, number>;
} {
  const queueConcurrency: Record<string, number> = Object.create(null);
  if (value === undefined || value === null) return { queues: null, queueConcurrency };
  if (Array.isArray(value)) {
    const queues = value.map((q, i) => assertName(q, `queues[${i}]`));
    const twice = queues.findIndex((q, i) => queues.indexOf(q) !== i);
    if (twice !== -1) throw new ConfigError(`queues[${twice}]`, `names "${queues[twice]}" a second time`);
    return { queues, queueConcurrency };
  }
  if (typeof value !== "object") {
    throw new ConfigError(
      "queues",
      "expected an array of queue names, or an object of queue options by name",
    );
  }
  const queues: string[] = [];
  for (const [name, queueOptions] of Object.entries(value)) {
    const queue = assertName(name, `queues.${name}`);
    queues.push(queue);
    if (queueOptions === undefined || queueOptions === null) continue;
    if (typeof queueOptions !== "object" || Array.isArray(queueOptions))
      throw new ConfigError(`queues.${name}`, "expected { concurrency? }");
    for (const field of Object.keys(queueOptions)) {
      if (field !== "concurrency")
        throw new ConfigError(`queues.${name}.${field}`, "unknown option; expected concurrency");
    }
    if (queueOptions.concurrency !== undefined) {
      const cap = queueOptions.concurrency;
      if (!Number.isInteger(cap) || cap < 1 || cap > MAX_COUNT_OPTION)
        throw new ConfigError(
          `queues.${name}.concurrency`,
          `expected an integer from 1 to ${MAX_COUNT_OPTION}, got ${describeValue(cap)}`,
        );
      queueConcurrency[queue] = cap;
    }
  }
  return { queues, queueConcurrency };
}
