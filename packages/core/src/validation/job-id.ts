import { InvalidArgumentError } from "../errors.js";
import type { IdGenerator } from "../jobs/ids.js";
import { describeValue, isStorable, unstorableReason } from "./text.js";

/** The longest job id a scheduler makes (its `idGenerator`'s), in UTF-16 code units. */
export const MAX_JOB_ID_LENGTH = 200;

/**
 * The longest id a lookup takes (`getJob`, `cancel`, …): a dead letter's id is its dead job's id
 * followed by `:dead:<attempt>` (`deadLetterJobId`), so it may be longer than the job's.
 */
export const MAX_LOOKUP_ID_LENGTH = MAX_JOB_ID_LENGTH + 32;

/**
 * What the HTTP API's job paths (`/api/jobs/<id>`) cannot carry in an id: `/`, `\`, `%` and the
 * control characters (C0, DEL and C1).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const UNREACHABLE = /[/\\%\u0000-\u001f\u007f-\u009f]/;

/** The end of a dead letter's id (`<jobId>:dead:<attempt>`), which a made id may not have. */
const DEAD_LETTER_END = /:dead:\d+$/;

/**
 * Wraps a user's `idGenerator` so that every id it makes is checked before any store sees it: a
 * string of 1 to {@link MAX_JOB_ID_LENGTH} characters that every store keeps unchanged (no U+0000,
 * no lone surrogate) and a URL path segment can carry (no `/`, `\`, `%` or control character,
 * not `.` or `..`: the HTTP API's job paths), not ending like a dead letter's id (`:dead:<n>`, which would take the id
 * of another job's dead letter: that dead letter would never be inserted). An id that breaks a
 * rule was stored before, and then no lookup could reach its job; the stores kept it differently
 * (a number `5` as `5` or `"5"`, a lone surrogate as U+FFFD).
 *
 * The returned generator throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `idGenerator`,
 * so the enqueue (or schedule tick) that asked for the id fails and nothing is stored.
 */
export function checkedIdGenerator(generate: IdGenerator): IdGenerator {
  return () => {
    const id: unknown = generate();
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_JOB_ID_LENGTH) {
      throw new InvalidArgumentError(
        "idGenerator",
        `expected a job id of 1 to ${MAX_JOB_ID_LENGTH} characters, got ${typeof id === "string" ? `one of ${id.length}` : describeValue(id)}`,
      );
    }
    if (!isStorable(id)) throw new InvalidArgumentError("idGenerator", unstorableReason(id) as string);
    if (UNREACHABLE.test(id) || id === "." || id === "..") {
      throw new InvalidArgumentError(
        "idGenerator",
        `an id must fit in one segment of a URL path (no / \\ % or control characters, not . or ..), got ${describeValue(id)}`,
      );
    }
    if (DEAD_LETTER_END.test(id)) {
      throw new InvalidArgumentError(
        "idGenerator",
        `an id ending in ":dead:<number>" is a dead letter's (<jobId>:dead:<attempt>), got ${JSON.stringify(id.slice(-40))}`,
      );
    }
    return id;
  };
}
