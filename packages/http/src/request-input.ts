import {
  isStorableText,
  isValidIsoCalendar,
  JOB_STATUSES,
  type JobSelector,
  type JobStatus,
} from "@sched/core";
import { isPlainWord, quoteText } from "@sched/core/adapter";
import { HttpError } from "./http-error.js";

/** The largest request body read, in bytes (1 MiB); a larger one is refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

const STATUSES: readonly JobStatus[] = JOB_STATUSES;

// What @sched/core accepts as a queue or schedule name.
const NAME = /^[A-Za-z0-9_.:\-/]{1,200}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A job id from the path. Ids are opaque strings, but a path segment that decodes to a path
 * (`/`, `\`, a `.` or `..` segment), to an escape (`%`, from a double encoding) or to control
 * characters is refused before it reaches the store.
 *
 * @throws HttpError 400 `INVALID_ID`.
 */
export function jobIdParam(value: string): string {
  if (
    value.length === 0 ||
    // A job id is at most 200; its dead letter's adds `:dead:<attempt>` (core's lookups take 232).
    value.length > 232 ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    /[/\\%\u0000-\u001f\u007f]/.test(value) ||
    value === "." ||
    value === ".."
  ) {
    throw new HttpError(400, "INVALID_ID", "the job id in the path is malformed");
  }
  return value;
}

/**
 * Whether `value` is a queue, schedule or job name as the scheduler takes it: 1-200 characters
 * of `A-Z a-z 0-9 _ . : - /`, and no `.` or `..` between slashes (a URL cannot name it).
 */
function isName(value: string): boolean {
  return NAME.test(value) && !value.split("/").some((segment) => segment === "." || segment === "..");
}

/**
 * A queue or schedule name from the path: 1-200 characters of `A-Z a-z 0-9 _ . : - /` (names
 * with `/` are sent encoded, `%2F`), without `.` or `..` segments.
 *
 * @throws HttpError 400 `INVALID_NAME`.
 */
export function nameParam(value: string, what: "queue" | "schedule"): string {
  if (!isName(value)) {
    throw new HttpError(
      400,
      "INVALID_NAME",
      `the ${what} name in the path is malformed: expected 1-200 characters of A-Z a-z 0-9 _ . : - /`,
    );
  }
  return value;
}

/** The query of a request, checked against the parameters a route takes. */
export class QueryParams {
  private readonly values = new Map<string, string>();

  /**
   * Reads the query of `url`.
   *
   * @throws HttpError 400 `INVALID_QUERY` for a parameter the route does not take, or one given twice.
   */
  constructor(url: string, allowed: readonly string[]) {
    const parsed = new URL(url);
    assertWellEncoded(parsed.search);
    for (const [key, value] of parsed.searchParams) {
      if (!allowed.includes(key)) {
        throw new HttpError(
          400,
          "INVALID_QUERY",
          `unknown query parameter ${quoteText(key, 50)}; expected ${allowed.length === 0 ? "none" : allowed.join(", ")}`,
        );
      }
      if (this.values.has(key))
        throw new HttpError(400, "INVALID_QUERY", `query parameter "${key}" is given twice`);
      this.values.set(key, value);
    }
  }

  /** A string parameter of 1 to `max` characters, or `undefined` when absent. */
  text(key: string, max = 200): string | undefined {
    const value = this.values.get(key);
    if (value === undefined) return undefined;
    if (value.length === 0 || value.length > max) throw invalid(key, `expected 1 to ${max} characters`);
    return value;
  }

  /**
   * A group key parameter, or `undefined`: what @sched/core accepts as a group, 1 to
   * {@link MAX_GROUP_LENGTH} characters of well-formed text without U+0000.
   */
  group(key: string): string | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : groupKey(value, key, "INVALID_QUERY");
  }

  /** A queue or job name parameter, or `undefined`. */
  name(key: string): string | undefined {
    const value = this.values.get(key);
    if (value === undefined) return undefined;
    if (!isName(value))
      throw invalid(
        key,
        'expected 1-200 characters of A-Z a-z 0-9 _ . : - /, no "." or ".." between slashes',
      );
    return value;
  }

  /** An integer parameter in `[min, max]`, or `undefined`. */
  integer(key: string, min: number, max: number): number | undefined {
    const value = this.values.get(key);
    if (value === undefined) return undefined;
    if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max)
      throw invalid(key, `expected an integer from ${min} to ${max}`);
    return Number(value);
  }

  /** An ISO 8601 date parameter, or `undefined`. */
  date(key: string): Date | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : isoDate(value, key);
  }

  /** One of `choices`, or `undefined`. */
  choice<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const value = this.values.get(key);
    if (value === undefined) return undefined;
    if (!(choices as readonly string[]).includes(value))
      throw invalid(key, `expected one of ${choices.join(", ")}`);
    return value as T;
  }

  /** A comma-separated list of job statuses, or `undefined`. */
  statuses(key: string): JobStatus[] | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : statusList(value.split(","), key);
  }
}

/** The longest group key @sched/core accepts, in characters. */
export const MAX_GROUP_LENGTH = 255;

/** A group key as @sched/core accepts it: 1 to 255 characters of well-formed text without U+0000. */
function groupKey(value: unknown, field: string, code: string): string {
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    value.length > MAX_GROUP_LENGTH ||
    !isStorableText(value)
  ) {
    throw invalid(
      field,
      `expected 1 to ${MAX_GROUP_LENGTH} characters of well-formed text without U+0000`,
      code,
    );
  }
  return value;
}

/**
 * Refuses a query (`?…`, as `URL.search` gives it) whose percent-encoding is not UTF-8: a
 * malformed escape (`%E0%A4%A`) or an encoded lone surrogate (`%ED%A0%80`), which
 * `URLSearchParams` would turn into U+FFFD and so into another value than the one sent.
 *
 * @throws HttpError 400 `INVALID_QUERY` naming the parameter (or saying that its name is bad).
 */
function assertWellEncoded(search: string): void {
  for (const pair of search.slice(1).split("&")) {
    const [rawKey = "", ...rawValue] = pair.split("=");
    const key = decodedQueryPart(rawKey);
    if (key === null)
      throw new HttpError(
        400,
        "INVALID_QUERY",
        "a query parameter's name is not well-formed percent-encoded UTF-8",
      );
    if (decodedQueryPart(rawValue.join("=")) === null)
      throw invalid(quoteText(key, 50).slice(1, -1), "not well-formed percent-encoded UTF-8");
  }
}

/** A part of a query as `URLSearchParams` reads it, or `null` when its escapes are not UTF-8. */
function decodedQueryPart(part: string): string | null {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

/** Parses an ISO 8601 date (`2026-01-31`, `2026-01-31T12:00:00Z`, with an offset). */
export function isoDate(value: unknown, field: string, code = "INVALID_QUERY"): Date {
  if (
    typeof value !== "string" ||
    !ISO_DATE.test(value) ||
    // Date.parse rolls 2026-02-30 over to March 2: a date that does not exist is refused.
    !isValidIsoCalendar(value) ||
    !Number.isFinite(Date.parse(value))
  )
    throw invalid(field, "expected an ISO 8601 date such as 2026-01-31T12:00:00Z", code);
  return new Date(value);
}

/** Checks a list of job statuses. */
export function statusList(values: readonly unknown[], field: string, code = "INVALID_QUERY"): JobStatus[] {
  if (values.length === 0 || values.length > STATUSES.length)
    throw invalid(field, `expected 1 to ${STATUSES.length} of ${STATUSES.join(", ")}`, code);
  for (const value of values) {
    if (!(STATUSES as readonly unknown[]).includes(value))
      throw invalid(field, `expected statuses from ${STATUSES.join(", ")}`, code);
  }
  return values as JobStatus[];
}

/**
 * The deepest nesting of arrays and objects a request body may have. Every body the API takes is
 * a flat object (a selector, a queue's limits); a deeper one is refused before it is parsed, so
 * that nothing that walks it recursively later (validation, the audit log's copy) runs out of
 * stack.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether the JSON text `text` nests arrays and objects deeper than `max` (strings skipped). */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * The first key that appears twice in one object of the JSON text `text` (keys compared as
 * decoded, so `"a"` and `"\u0061"` are the same key), or `null`. `text` must be valid JSON.
 * `JSON.parse` keeps the last of repeated keys where other parsers (a proxy's, a firewall's) keep
 * the first (RFC 8259 §4: names "SHOULD be unique"): a body with one is refused rather than read
 * one way here and another way upstream.
 */
export function repeatedKey(text: string): string | null {
  // One entry per open container: the keys seen so far of an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let atKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      if (atKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        const keys = open[open.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        atKey = false;
      }
    } else if (c === 0x7b) {
      open.push(new Set());
      atKey = true;
    } else if (c === 0x5b) {
      open.push(null);
      atKey = false;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      atKey = false;
    } else if (c === 0x2c) {
      atKey = open[open.length - 1] instanceof Set;
    }
  }
  return null;
}

/**
 * The JSON body of a request: `undefined` when it has none, else the parsed value.
 *
 * @throws HttpError 413 `BODY_TOO_LARGE` past {@link MAX_BODY_BYTES} (stopping reading there),
 *   415 `UNSUPPORTED_MEDIA_TYPE` for a body that is not `application/json` or is declared in a
 *   charset other than UTF-8, 400 `INVALID_JSON`
 *   for a body that is not JSON, nests deeper than {@link MAX_BODY_DEPTH}, holds a number past a
 *   double's range (`1e400`), or repeats a key in one object ({@link repeatedKey}).
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const length = request.headers.get("content-length");
  if (length !== null && (!/^\d+$/.test(length) || Number(length) > MAX_BODY_BYTES)) throw tooLarge();
  if (request.body === null) return undefined;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (size === 0) return undefined;
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json(?:\s*;|$)/i.test(type))
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  // JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset holds other bytes than
  // UTF-8 would read, so it is refused rather than read as another value than was meant.
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset))
    throw new HttpError(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      "send the body as application/json in UTF-8 (charset=utf-8, or no charset)",
    );
  let text: string;
  try {
    // Strict: bytes that are not UTF-8 would otherwise be read as U+FFFD, another value than sent.
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, "INVALID_JSON", "the body is not UTF-8");
  }
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    throw new HttpError(
      400,
      "INVALID_JSON",
      `the body nests arrays or objects deeper than ${MAX_BODY_DEPTH} levels`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, "INVALID_JSON", "the body is not valid JSON");
  }
  if (holdsOverflow(body)) {
    throw new HttpError(
      400,
      "INVALID_JSON",
      "the body holds a number beyond the range of a double (about ±1.8e308), which would be read as another value",
    );
  }
  const repeated = repeatedKey(text);
  if (repeated !== null) {
    throw new HttpError(
      400,
      "INVALID_JSON",
      `the body repeats the key ${isPlainWord(repeated) ? JSON.stringify(repeated) : `of ${repeated.length} characters`} in one object: give each key once`,
    );
  }
  return body;
}

/**
 * Whether a parsed JSON value holds a number that `JSON.parse` read as `Infinity` or `-Infinity`
 * (`1e400`): RFC 8259 §6 lets a parser limit the range, and past a double's the value would be
 * another one (it is written back as `null`). Walks at most {@link MAX_BODY_DEPTH} levels, as
 * the body was checked for before.
 */
function holdsOverflow(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (typeof value !== "object" || value === null) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (holdsOverflow(item)) return true;
  }
  return false;
}

/**
 * The job selector of a bulk operation's body: `{ queue?, name?, status?, group?, from?, to? }`
 * (`status` one or a list, `from`/`to` ISO dates bounding `createdAt`).
 *
 * @throws HttpError 400 `INVALID_BODY` naming the bad field.
 */
export function jobSelectorBody(body: unknown): JobSelector {
  const fields = objectBody(body, "{ queue?, name?, status?, group?, from?, to? }");
  const selector: JobSelector = {};
  for (const [key, value] of Object.entries(fields)) {
    switch (key) {
      case "queue":
      case "name":
        if (typeof value !== "string" || !NAME.test(value))
          throw invalid(key, "expected 1-200 characters of A-Z a-z 0-9 _ . : - /", "INVALID_BODY");
        selector[key] = value;
        break;
      case "group":
        selector.group = groupKey(value, key, "INVALID_BODY");
        break;
      case "status":
        selector.status = statusList(Array.isArray(value) ? value : [value], key, "INVALID_BODY");
        break;
      case "from":
      case "to":
        selector[key] = isoDate(value, key, "INVALID_BODY");
        break;
      default:
        throw new HttpError(
          400,
          "INVALID_BODY",
          `unknown field ${quoteText(key, 50)}; expected queue, name, status, group, from, to`,
        );
    }
  }
  return selector;
}

/** The body as an object, or `{}` when there is none. */
export function objectBody(body: unknown, expected: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new HttpError(400, "INVALID_BODY", `expected a JSON object: ${expected}`);
  return body as Record<string, unknown>;
}

function tooLarge(): HttpError {
  return new HttpError(413, "BODY_TOO_LARGE", `the body is over ${MAX_BODY_BYTES} bytes`);
}

function invalid(field: string, message: string, code = "INVALID_QUERY"): HttpError {
  return new HttpError(400, code, `${field}: ${message}`);
}
