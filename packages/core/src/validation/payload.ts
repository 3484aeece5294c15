import { InvalidArgumentError, PayloadTooLargeError, SchedulerError } from "../errors.js";
import { assertStorableString } from "./text.js";

/** The deepest nesting of arrays and objects a payload may have. */
export const MAX_PAYLOAD_DEPTH = 100;

/**
 * Checks that a payload survives a JSON round trip through every store unchanged (plain objects,
 * arrays, strings, finite numbers, booleans, null, nested at most {@link MAX_PAYLOAD_DEPTH}
 * deep; strings and keys well-formed Unicode without U+0000) and that its JSON is at most
 * `limitBytes`. Rejecting a Date, Map, class instance, function, BigInt, NaN, cycle or a string
 * a store would alter at enqueue time is kinder than a handler that later receives something else.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the path of the bad value;
 *   PayloadTooLargeError (`PAYLOAD_TOO_LARGE`).
 */
export function assertJsonPayload(payload: unknown, limitBytes: number): void {
  readSafely("payload", () => checkPayload(payload, limitBytes));
}

function checkPayload(payload: unknown, limitBytes: number): void {
  checkValue(payload, "payload", new Set(), 0);
  if (limitBytes > 0 && payload !== null && typeof payload === "object") {
    const json = JSON.stringify(payload);
    // Byte length only matters when the character count could exceed the limit.
    const size = json.length * 3 > limitBytes ? Buffer.byteLength(json, "utf8") : json.length;
    if (size > limitBytes) throw new PayloadTooLargeError(size, limitBytes);
  } else if (limitBytes > 0 && typeof payload === "string") {
    const size = Buffer.byteLength(JSON.stringify(payload), "utf8");
    if (size > limitBytes) throw new PayloadTooLargeError(size, limitBytes);
  }
}

function checkValue(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
      assertStorableString(value, path);
      return;
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new InvalidArgumentError(
          path,
          `${value} is not JSON-serialisable; use a finite number or null`,
        );
      }
      if (Object.is(value, -0)) throw new InvalidArgumentError(path, "is -0, which JSON stores as 0; use 0");
      return;
    case "object":
      break;
    default:
      throw new InvalidArgumentError(path, `${withArticle(typeof value)} is not JSON-serialisable`);
  }
  if (value === null) return;
  if (depth >= MAX_PAYLOAD_DEPTH) {
    throw new InvalidArgumentError(
      path,
      `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels of arrays and objects`,
    );
  }
  if (seen.has(value))
    throw new InvalidArgumentError(path, "is a circular reference, which JSON cannot encode");
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value))
        throw new InvalidArgumentError(`${path}[${i}]`, "is a hole, which JSON turns into null; use null");
      checkValue(value[i], `${path}[${i}]`, seen, depth + 1);
    }
    seen.delete(value);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    const hint =
      value instanceof Date ? "; pass date.toISOString() instead" : "; use plain objects and arrays";
    throw new InvalidArgumentError(
      path,
      `${withArticle(kind)} is not JSON-serialisable without change${hint}`,
    );
  }
  if (
    Object.getOwnPropertySymbols(value).some((key) => Object.getOwnPropertyDescriptor(value, key)?.enumerable)
  ) {
    throw new InvalidArgumentError(path, "has a symbol key, which JSON drops; use string keys");
  }
  seen.add(value);
  for (const key of Object.keys(value)) {
    assertStorableString(key, `${path} key ${JSON.stringify(key)}`);
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      throw new InvalidArgumentError(
        `${path}.${key}`,
        "is undefined, which JSON drops; omit the key or use null",
      );
    }
    checkValue(v, `${path}.${key}`, seen, depth + 1);
  }
  seen.delete(value);
}

/** `a` or `an` before `word`, by its first letter: "an object", "a Map", "an undefined". */
function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;
}

/**
 * Runs `check`, turning anything but a `SchedulerError` (a getter or a proxy trap that
 * throws while the value is read) into one naming `path`: every bad input gets a typed error.
 * The thrown error's message is not repeated: it may quote the value.
 */
export function readSafely(path: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof SchedulerError) throw err;
    throw new InvalidArgumentError(path, "could not be read: a getter or proxy threw while it was checked");
  }
}
