import { assertName, type ResolvedOptions } from "../config/options.js";
import {
  InvalidArgumentError,
  PayloadTooLargeError,
  SchedulerError,
  UnknownHandlerError,
} from "../errors.js";
import type { HandlerRegistry } from "../handlers/handler-registry.js";
import { decodeJobCursor } from "../jobs/cursor.js";
import type { JobFilter, JobSelector, JobStatus } from "../jobs/job.js";
import type { NewJob } from "../jobs/new-job.js";
import type { DedupeOptions, NewJobRecord } from "../store/store.js";
import { type Duration, describeDuration, parseDuration, parseTimeout } from "../time/duration.js";
import { dateMs } from "../validation/dates.js";
import { MAX_LOOKUP_ID_LENGTH } from "../validation/job-id.js";
import { assertKnownFields, type ForeignNames } from "../validation/option-names.js";
import { checkedJsonPayload, readSafely } from "../validation/payload.js";
import { keyPath, quoteText } from "../validation/quote.js";
import { readField, readFields, readOptions, unreadableError } from "../validation/read-options.js";
import { assertStorableString, describeValue } from "../validation/text.js";

const MAX_PRIORITY = 2 ** 31 - 1;
/** The longest deduplication window (`ttl`, `maxWait`) every store keeps, in ms (2^31 − 1). */
const MAX_WINDOW_MS = 2 ** 31 - 1;
/** The longest job id accepted in a lookup. */

/** The fields of a job to enqueue. */
const NEW_JOB_FIELDS = [
  "name",
  "payload",
  "queue",
  "priority",
  "maxRetries",
  "timeout",
  "metadata",
  "uniqueKey",
  "group",
  "dedupe",
  "delay",
  "runAt",
] as const satisfies ReadonlyArray<keyof NewJob>;

/** Metadata keys @sched sets itself (see TICK_METADATA); an enqueued job may not carry them. */
const RESERVED_METADATA_PREFIX = "sched.";

/** Names other job queues give to fields of {@link NewJob}, with the field meant. */
const FOREIGN_JOB_FIELDS: ForeignNames = {
  data: "payload",
  queueName: "queue",
  attempts: "maxRetries",
  maxAttempts: "maxRetries",
  retryLimit: "maxRetries",
  jobId: "uniqueKey",
  jobKey: "uniqueKey",
  singletonKey: "uniqueKey",
  startAfter: "runAt",
  expireInSeconds: "timeout",
};

/** The fields of a `listJobs` filter. */
const SELECTOR_FIELDS = ["status", "queue", "name", "group", "from", "to"] as const satisfies ReadonlyArray<
  keyof JobSelector
>;
const FILTER_FIELDS = [...SELECTOR_FIELDS, "limit", "cursor", "order"] as const satisfies ReadonlyArray<
  keyof JobFilter
>;

const STATUSES: readonly JobStatus[] = [
  "pending",
  "scheduled",
  "running",
  "completed",
  "failed",
  "dead",
  "cancelled",
];

/**
 * Re-throws a validation failure as an `InvalidArgumentError` naming `field`: another
 * `SchedulerError`'s message is kept (a `ConfigError` of a shared check); anything else, thrown by
 * a getter or a proxy of the value, is not repeated (it may quote a secret).
 */
function invalid(err: unknown, field: string): InvalidArgumentError {
  if (err instanceof InvalidArgumentError) return err;
  if (err instanceof SchedulerError) {
    return new InvalidArgumentError(field, err.message.replace(/^[^:]+: /, ""));
  }
  return unreadableError(field);
}

/**
 * Turns what a user passes to `enqueue` into a complete job record: validates every field (the
 * error names the field and the bad value), applies the handler's and the scheduler's defaults,
 * and stamps id, times and status.
 */
export class JobInput {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly registry: HandlerRegistry,
  ) {}

  /** Validates a job, queue or schedule name. */
  name(value: unknown, field: string): string {
    try {
      return assertName(value, field);
    } catch (err) {
      throw invalid(err, field);
    }
  }

  /**
   * Validates `job` (reported as `path` in errors) and resolves it into a record created at `now`
   * (epoch ms; the clock's time by default: the jobs of one `enqueueMany` share one instant, as the
   * rows of one statement do). A job whose fields cannot be read (a getter or proxy that throws) is
   * an `InvalidArgumentError` too.
   */
  toRecord(
    job: NewJob,
    path: string,
    strict = this.options.strictHandlers,
    now: number = this.options.clock.now(),
  ): NewJobRecord {
    let record: NewJobRecord | undefined;
    readSafely(path, () => {
      record = this.readRecord(job, path, strict, now);
    });
    return record as NewJobRecord;
  }

  private readRecord(given: NewJob, path: string, strict: boolean, now: number): NewJobRecord {
    if (given === null || typeof given !== "object" || Array.isArray(given))
      throw new InvalidArgumentError(path, "expected a job object");
    assertKnownFields(given, NEW_JOB_FIELDS, path, undefined, FOREIGN_JOB_FIELDS);
    // Each field read once, a getter that throws named by its field.
    const job = readFields(given, NEW_JOB_FIELDS, path) as NewJob;
    const name = this.name(job.name, `${path}.name`);
    const handler = this.registry.get(name);
    if (!handler && strict) throw new UnknownHandlerError(name);
    const payload = this.payload(job.payload === undefined ? null : job.payload, path);
    let scheduledAt = now;
    if (job.runAt !== undefined && job.delay !== undefined) {
      // One of them would be ignored without a word.
      throw new InvalidArgumentError(`${path}.delay`, "give runAt or delay, not both");
    }
    if (job.runAt !== undefined) {
      const runAtMs = dateMs(job.runAt);
      if (Number.isNaN(runAtMs)) {
        throw new InvalidArgumentError(
          `${path}.runAt`,
          `expected a valid Date, got ${describeValue(job.runAt)}`,
        );
      }
      scheduledAt = runAtMs;
      assertStorableTime(scheduledAt, `${path}.runAt`);
    } else if (job.delay !== undefined) {
      // To the nearest ms, as a delay string is read ("1.5ms"), and before the status is chosen:
      // a delay of 0.4 ms gave a "scheduled" job due at the instant it was created.
      scheduledAt = Math.round(now + this.duration(job.delay, `${path}.delay`));
      assertStorableTime(scheduledAt, `${path}.delay`);
    }
    const retry = handler?.retry ?? this.options.retry;
    return {
      id: this.options.idGenerator(),
      name,
      payload,
      queue: this.name(job.queue ?? handler?.queue ?? "default", `${path}.queue`),
      priority: this.priority(job.priority ?? handler?.priority ?? 0, `${path}.priority`),
      maxRetries: this.maxRetries(
        job.maxRetries ?? handler?.maxRetries ?? retry.maxAttempts - 1,
        `${path}.maxRetries`,
      ),
      timeout:
        job.timeout !== undefined
          ? this.timeout(job.timeout, `${path}.timeout`)
          : (handler?.timeout ?? this.options.defaultTimeout),
      scheduledAt: new Date(scheduledAt),
      createdAt: new Date(now),
      status: scheduledAt > now ? "scheduled" : "pending",
      metadata: this.metadata(job.metadata, `${path}.metadata`, this.options.maxMetadataBytes),
      uniqueKey: this.uniqueKey(job.uniqueKey, `${path}.uniqueKey`),
      group: this.uniqueKey(job.group, `${path}.group`),
    };
  }

  /**
   * The copy of `value` as checked (see checkedJsonPayload), which is what is stored; errors name
   * `path`'s payload.
   */
  private payload(value: unknown, path: string): unknown {
    try {
      return checkedJsonPayload(value, this.options.maxPayloadBytes);
    } catch (err) {
      if (err instanceof InvalidArgumentError)
        throw new InvalidArgumentError(`${path}.${err.field}`, err.message.replace(`${err.field}: `, ""));
      if (err instanceof PayloadTooLargeError)
        throw new PayloadTooLargeError(err.size, err.limit, `${path}.payload`, err.atLeast);
      throw err;
    }
  }

  /**
   * Reads a job's `dedupe` field: `null` when absent. Refuses a window together with `uniqueKey`,
   * and a debounce with `runAt` or `delay` (a debounced job runs `ttl` after the latest enqueue).
   */
  dedupe(job: NewJob, path: string): DedupeOptions | null {
    let options: DedupeOptions | null = null;
    readSafely(path, () => {
      const field = `${path}.dedupe`;
      const fields = readFields(job, ["dedupe", "uniqueKey", "runAt", "delay"], path);
      const given = fields.dedupe;
      if (given === undefined) return;
      if (given === null || typeof given !== "object" || Array.isArray(given))
        throw new InvalidArgumentError(field, "expected { key, ttl, mode?, maxWait? }");
      const input = readOptions(given, field) as NonNullable<NewJob["dedupe"]>;
      assertKnownFields(input, ["key", "ttl", "mode", "maxWait"], field);
      const key = this.uniqueKey(input.key, `${field}.key`);
      if (key === null)
        throw new InvalidArgumentError(`${field}.key`, "expected a string of 1 to 255 characters");
      const mode = input.mode ?? "throttle";
      if (mode !== "throttle" && mode !== "debounce")
        throw new InvalidArgumentError(
          `${field}.mode`,
          `expected "throttle" or "debounce", got ${describeValue(mode)}`,
        );
      const ttl = this.duration(input.ttl, `${field}.ttl`);
      if (!(Number.isInteger(ttl) && ttl >= 1 && ttl <= MAX_WINDOW_MS))
        throw new InvalidArgumentError(
          `${field}.ttl`,
          `expected a whole number of ms from 1 ms to about 24 days, got ${describeDuration(input.ttl, ttl)}`,
        );
      let maxWait: number | null = null;
      if (input.maxWait !== undefined) {
        if (mode !== "debounce")
          throw new InvalidArgumentError(`${field}.maxWait`, 'maxWait applies to mode "debounce" only');
        maxWait = this.duration(input.maxWait, `${field}.maxWait`);
        if (!(Number.isInteger(maxWait) && maxWait >= ttl && maxWait <= MAX_WINDOW_MS))
          throw new InvalidArgumentError(
            `${field}.maxWait`,
            `expected a whole number of ms from ttl to about 24 days, got ${describeDuration(input.maxWait, maxWait)}`,
          );
      }
      if (fields.uniqueKey !== undefined && fields.uniqueKey !== null)
        throw new InvalidArgumentError(field, "a job takes either uniqueKey or dedupe, not both");
      if (mode === "debounce" && (fields.runAt !== undefined || fields.delay !== undefined))
        throw new InvalidArgumentError(
          field,
          "a debounced job runs ttl after the latest enqueue; leave out runAt and delay",
        );
      options = { key, mode, ttl, maxWait };
    });
    return options;
  }

  /**
   * Checks an id given to a lookup (`getJob`, `cancel`, `retryJob`): a string of 1 to 232
   * characters (a job's id of at most 200, or its dead letter's, `<id>:dead:<attempt>`) that every
   * store can keep, so every store answers a lookup alike.
   */
  jobId(value: unknown): string {
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_LOOKUP_ID_LENGTH) {
      throw new InvalidArgumentError(
        "id",
        `expected a job id of 1 to ${MAX_LOOKUP_ID_LENGTH} characters, got ${typeof value === "string" ? `one of ${value.length}` : typeof value}`,
      );
    }
    assertStorableString(value, "id");
    return value;
  }

  /**
   * Checks a `listJobs` filter and applies its defaults (limit 100, order `asc`).
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the bad field.
   */
  jobFilter(filter: JobFilter): JobFilter & { limit: number } {
    if (filter === null || typeof filter !== "object" || Array.isArray(filter)) {
      throw new InvalidArgumentError("filter", `expected an object with ${FILTER_FIELDS.join(", ")}`);
    }
    assertKnownFields(filter, FILTER_FIELDS, "filter");
    const selector = this.readSelector(filter);
    const limit = filter.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new InvalidArgumentError(
        "limit",
        `expected an integer from 1 to 10000, got ${describeValue(limit)}`,
      );
    }
    const order = filter.order ?? "asc";
    if (order !== "asc" && order !== "desc") {
      throw new InvalidArgumentError("order", `expected "asc" or "desc", got ${describeValue(order)}`);
    }
    const cursor = filter.cursor ?? null;
    if (cursor !== null && decodeJobCursor(cursor).order !== order) {
      const other = order === "asc" ? "desc" : "asc";
      throw new InvalidArgumentError(
        "cursor",
        other === "asc"
          ? `this cursor continues pages in ascending order, or was made before cursors named their order: pass order "asc" with it, or start again without a cursor`
          : `this cursor continues pages in descending order: pass order "desc" with it, or start again without a cursor`,
      );
    }
    return { ...selector, limit, order, cursor };
  }

  /**
   * Checks the selector of a bulk operation (`retryJobs`, `deleteJobs`); with `nonEmpty`, at
   * least one field must be given.
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the bad field.
   */
  jobSelector(selector: JobSelector, nonEmpty: boolean): JobSelector {
    if (selector === null || typeof selector !== "object" || Array.isArray(selector)) {
      throw new InvalidArgumentError("filter", `expected an object with ${SELECTOR_FIELDS.join(", ")}`);
    }
    assertKnownFields(selector, SELECTOR_FIELDS, "filter");
    const checked = this.readSelector(selector);
    if (nonEmpty && Object.values(checked).every((value) => value === undefined)) {
      throw new InvalidArgumentError("filter", `give at least one of ${SELECTOR_FIELDS.join(", ")}`);
    }
    return checked;
  }

  private readSelector(selector: JobSelector): JobSelector {
    const checked: JobSelector = {};
    if (selector.status !== undefined) {
      const statuses = Array.isArray(selector.status) ? selector.status : [selector.status];
      for (const status of statuses) {
        if (!STATUSES.includes(status)) {
          throw new InvalidArgumentError(
            "status",
            `expected one of ${STATUSES.join(", ")}, got ${describeValue(status)}`,
          );
        }
      }
      checked.status = [...new Set(statuses)];
    }
    if (selector.queue !== undefined) checked.queue = this.name(selector.queue, "queue");
    if (selector.name !== undefined) checked.name = this.name(selector.name, "name");
    if (selector.group !== undefined) {
      // null is no group key: it must not quietly mean "every group".
      if (selector.group === null) {
        throw new InvalidArgumentError(
          "group",
          "expected a group key of 1 to 255 characters, got null; leave group out for every group",
        );
      }
      const group = this.uniqueKey(selector.group, "group");
      if (group !== null) checked.group = group;
    }
    for (const field of ["from", "to"] as const) {
      const value = selector[field];
      if (value === undefined) continue;
      const ms = dateMs(value);
      if (Number.isNaN(ms))
        throw new InvalidArgumentError(field, `expected a valid Date, got ${describeValue(value)}`);
      assertStorableTime(ms, field);
      checked[field] = new Date(ms);
    }
    return checked;
  }

  /**
   * Refuses a job enqueued by the caller whose metadata has a key of @sched's own (`sched.`): one
   * carrying `sched.schedule` would pass for a tick of that schedule, which its overlap policy
   * would wait for (`skip`) or cancel (`cancelOther`). (A schedule's template drops such keys.)
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `path.metadata` and the key.
   */
  refuseReservedMetadata(record: NewJobRecord, path: string): void {
    for (const key of Object.keys(record.metadata)) {
      if (!key.startsWith(RESERVED_METADATA_PREFIX)) continue;
      throw new InvalidArgumentError(
        keyPath(`${path}.metadata`, key),
        `metadata keys starting with "${RESERVED_METADATA_PREFIX}" are set by @sched alone (sched.schedule, sched.tick and sched.origin on the jobs of schedules, sched.deadLetter on dead letters); use another key`,
      );
    }
  }

  /**
   * Checks what middleware (`wrapEnqueue`, `wrapTick`) may have changed after the job was checked,
   * by the same rules as the caller's own: its metadata and its payload, replaced or changed in
   * place (the copy of what it left is what is stored).
   *
   * @throws InvalidArgumentError (`INVALID_ARGUMENT`) or PayloadTooLargeError (`PAYLOAD_TOO_LARGE`) naming the field.
   */
  recheckMiddlewareChanges(records: readonly NewJobRecord[], path: string, fixed?: readonly string[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as NewJobRecord;
      const at = records.length === 1 ? path : `${path}[${i}]`;
      record.metadata = this.middlewareMetadata(record.metadata, `${at}.metadata`);
      record.payload = this.payload(record.payload, at);
      if (fixed !== undefined && fixedFields(record) !== fixed[i]) {
        throw new InvalidArgumentError(
          at,
          `middleware (wrapEnqueue, wrapTick) may change only metadata (not keys starting with "${RESERVED_METADATA_PREFIX}") and the payload; it changed the job's id, name, queue, run time or ${RESERVED_METADATA_PREFIX} metadata`,
        );
      }
    }
  }

  /**
   * Reads metadata middleware left, checking its size by the caller's rule without @sched's own
   * `sched.` keys (a tick's `sched.schedule` and `sched.tick`, added by the runtime): a schedule
   * whose template metadata was accepted must not fail at every firing because a middleware ran.
   */
  private middlewareMetadata(value: unknown, field: string): Record<string, string> {
    const all = this.metadata(value, field, 0);
    const rest: Record<string, string> = {};
    for (const key of Object.keys(all)) {
      if (key.startsWith(RESERVED_METADATA_PREFIX)) continue;
      // An own "__proto__" key must stay data, not become the prototype.
      Object.defineProperty(rest, key, {
        value: all[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    this.metadata(rest, field, this.options.maxMetadataBytes);
    return all;
  }

  /**
   * What enqueue middleware must leave as it is, per record, to compare after it ran (see
   * {@link recheckMiddlewareChanges}): id, name, queue, run time, status and `sched.` metadata.
   */
  fixedByMiddleware(records: readonly NewJobRecord[]): string[] {
    return records.map(fixedFields);
  }

  /** Parses a duration, naming `field` when it is bad. */
  duration(value: Duration, field: string): number {
    try {
      return parseDuration(value, field);
    } catch (err) {
      throw invalid(err, field);
    }
  }

  private timeout(value: Duration, field: string): number {
    try {
      return parseTimeout(value, field);
    } catch (err) {
      throw invalid(err, field);
    }
  }

  private priority(value: unknown, field: string): number {
    if (
      typeof value !== "number" ||
      !Number.isInteger(value) ||
      Math.abs(value) > MAX_PRIORITY ||
      Object.is(value, -0)
    ) {
      throw new InvalidArgumentError(
        field,
        `expected an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}, got ${describeValue(value)}`,
      );
    }
    return value;
  }

  private maxRetries(value: unknown, field: string): number {
    if (
      typeof value !== "number" ||
      !Number.isInteger(value) ||
      value < 0 ||
      value > 1000 ||
      Object.is(value, -0)
    ) {
      throw new InvalidArgumentError(
        field,
        `expected an integer from 0 to 1000, got ${describeValue(value)}`,
      );
    }
    return value;
  }

  private metadata(value: unknown, field: string, limitBytes: number): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidArgumentError(field, "expected an object of string values");
    }
    let proto: unknown;
    let keys: string[];
    try {
      proto = Object.getPrototypeOf(value);
      keys = Object.keys(value);
    } catch {
      // A proxy whose trap throws: its message is not repeated (it may quote the value).
      throw unreadableError(field);
    }
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidArgumentError(field, "expected a plain object of string values");
    }
    const out: Record<string, string> = {};
    // A lower bound of the JSON's bytes (a code unit takes at least one): the check stops as soon
    // as it passes the limit, instead of measuring all of a huge input.
    let least = 1;
    for (const k of keys) {
      const at = keyPath(field, k);
      assertStorableString(k, `${field} key ${quoteText(k, 64)}`);
      const v = readField(value, k, at);
      if (typeof v !== "string") throw new InvalidArgumentError(at, `expected a string, got ${typeof v}`);
      least += k.length + v.length + 6;
      if (limitBytes > 0 && least > limitBytes)
        throw new PayloadTooLargeError(least, limitBytes, field, true);
      assertStorableString(v, at);
      // An own "__proto__" key must stay data, not become the prototype.
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    if (limitBytes > 0) {
      const json = JSON.stringify(out);
      const size = json.length * 3 > limitBytes ? Buffer.byteLength(json, "utf8") : json.length;
      if (size > limitBytes) throw new PayloadTooLargeError(size, limitBytes, field);
    }
    return out;
  }

  private uniqueKey(value: unknown, field: string): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== "string" || value.length === 0 || value.length > 255) {
      throw new InvalidArgumentError(
        field,
        `expected a string of 1 to 255 characters, got ${typeof value === "string" ? `one of ${value.length}` : typeof value}`,
      );
    }
    assertStorableString(value, field);
    return value;
  }
}

/** The earliest and latest times every store keeps exactly: years 1 to 9999 (UTC), in ms. */
const EARLIEST_TIME_MS = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Whether every store keeps the instant `ms` (epoch ms) exactly: the years 1 to 9999 (UTC), from
 * 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. JavaScript dates reach further, but
 * PostgreSQL cannot read an ISO date with a six-digit year. The runtime refuses a run time, a
 * schedule bound or a filter instant outside them (`InvalidArgumentError` or
 * `InvalidScheduleError`); tools that take instants from users check them with this first.
 * `NaN` and `±Infinity` are not storable.
 */
export function isStorableTime(ms: number): boolean {
  return ms >= EARLIEST_TIME_MS && ms <= LATEST_TIME_MS;
}

/** The instant `ms` (epoch ms) as ISO text, or as words when no Date holds it. */
export function describeTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "a time beyond any Date" : date.toISOString();
}

/**
 * The instant `ms` (epoch ms) as a Date within the years 1 to 9999 (UTC), the instants every store
 * keeps: an instant past them is the nearest one within them. For instants the runtime computes
 * from a duration the user set (a lease of `lockTTL`, a retry delay, a retention): a lease that
 * outlasts the year 9999 never expires, a retention that reaches before the year 1 deletes nothing,
 * as they would if stores kept every instant.
 */
export function storableDate(ms: number): Date {
  if (Number.isNaN(ms)) return new Date(LATEST_TIME_MS);
  return new Date(Math.min(LATEST_TIME_MS, Math.max(EARLIEST_TIME_MS, ms)));
}

/**
 * Refuses a run time outside the years 1 to 9999 (see {@link isStorableTime}).
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `field`.
 */
export function assertStorableTime(ms: number, field: string): void {
  if (!isStorableTime(ms)) {
    throw new InvalidArgumentError(field, "makes a run time outside the years 1 to 9999 (UTC)");
  }
}

/** The fields of `record` enqueue middleware may not change, as one string to compare. */
function fixedFields(record: NewJobRecord): string {
  const reserved = Object.keys(record.metadata ?? {})
    .filter((key) => key.startsWith(RESERVED_METADATA_PREFIX))
    .sort()
    .map((key) => [key, record.metadata[key]]);
  const at = record.scheduledAt instanceof Date ? record.scheduledAt.getTime() : Number.NaN;
  return JSON.stringify([record.id, record.name, record.queue, at, record.status, reserved]);
}
