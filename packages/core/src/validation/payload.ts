import { InvalidArgumentError, PayloadTooLargeError, SchedulerError } from "../errors.js";
import { keyPath } from "./quote.js";
import { unreadableError } from "./read-options.js";
import { assertStorableString, isStorable } from "./text.js";

/** The deepest nesting of arrays and objects a payload may have. */
export const MAX_PAYLOAD_DEPTH = 100;

/**
 * Checks that a payload survives a JSON round trip through every store unchanged (plain objects,
 * arrays, strings, finite numbers, booleans, null, nested at most {@link MAX_PAYLOAD_DEPTH}
 * deep; strings and keys well-formed Unicode without U+0000) and that its JSON is at most
 * `limitBytes`, and returns a copy of it as checked: plain objects and arrays holding what each
 * key and index held when it was read. Rejecting a Date, Map, class instance, function, BigInt,
 * NaN, cycle or a string a store would alter at enqueue time is kinder than a handler that later
 * receives something else.
 *
 * The copy is what is stored. Each property is read once, so a getter or proxy that answers
 * differently on a second read, a non-enumerable `toJSON` (which `JSON.stringify` would call
 * though the check never sees it), or a caller changing the object while the insert is out
 * cannot put anything in the store but what was checked.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the path of the bad value;
 *   PayloadTooLargeError (`PAYLOAD_TOO_LARGE`).
 */
export function checkedJsonPayload(payload: unknown, limitBytes: number): unknown {
  let copy: unknown;
  readSafely("payload", () => {
    copy = checkPayload(payload, limitBytes);
  });
  return copy;
}

function checkPayload(payload: unknown, limitBytes: number): unknown {
  const walk: Walk = {
    path: [],
    ancestors: [],
    least: 0,
    limit: limitBytes > 0 ? limitBytes : MAX_JSON_LENGTH,
    visits: 0,
    memo: null,
  };
  const { bound, copy } = checkValue(payload, walk, 0);
  // Most payloads are far below the limit: the bound spares them a JSON.stringify.
  if (limitBytes > 0 && bound > limitBytes) {
    const json = JSON.stringify(copy);
    // Byte length only matters when the character count could exceed the limit.
    const size = json.length * 3 > limitBytes ? Buffer.byteLength(json, "utf8") : json.length;
    if (size > limitBytes) throw new PayloadTooLargeError(size, limitBytes);
  }
  return copy;
}

/**
 * Where the check is: the keys and indexes from the payload down to the value (formatted only
 * for an error), and the arrays and objects above it (a cycle returns to one of them).
 */
interface Walk {
  path: (string | number)[];
  ancestors: object[];
  /**
   * A lower bound of the UTF-8 bytes of the JSON of what was walked so far (a code unit takes at
   * least one byte): an object graph that shares a value under many keys is written out once per
   * key, so its JSON can grow as 2^depth; the walk stops once this passes `limit`.
   */
  least: number;
  /** The limit in bytes ({@link MAX_JSON_LENGTH} when `maxPayloadBytes` is 0). */
  limit: number;
  /** Arrays and objects entered so far. */
  visits: number;
  /**
   * Once {@link MEMO_AFTER} arrays and objects were entered: the bounds of each one checked
   * since, so that a value shared under many keys is checked once and counted once per place it
   * appears (as JSON writes it), instead of walked again each time (2^depth walks for a value
   * shared at every level, with no limit to stop them).
   */
  memo: Map<object, Checked & { least: number }> | null;
}

/**
 * What {@link checkValue} returns: an upper bound of the UTF-8 bytes of a value's JSON, its copy,
 * and its height (the levels of arrays and objects in it, itself included: 0 for a string).
 */
interface Checked {
  bound: number;
  copy: unknown;
  height: number;
}

/**
 * The longest string V8 holds (2^29 - 24 code units): a payload whose JSON would be longer cannot be
 * written by any store (its serialisation would fail, or run for ever on a value shared at every
 * level), so it is refused even when `maxPayloadBytes` is 0.
 */
const MAX_JSON_LENGTH = 2 ** 29 - 24;

/** Arrays and objects a walk enters before it remembers the ones it has checked. */
const MEMO_AFTER = 1_000;

/**
 * The path of the value being checked, as errors name it: `payload.items[2].id`; a key that is
 * not an identifier is quoted in brackets (`payload["a.b"]`, `payload[""]`; see keyPath).
 */
function pathOf(walk: Walk): string {
  let out = "payload";
  for (const step of walk.path) {
    if (typeof step === "number") out += `[${step}]`;
    else out = keyPath(out, step);
  }
  return out;
}

/** Counts `bytes` more of JSON for certain, and stops the walk once the limit is passed. */
function atLeast(walk: Walk, bytes: number): void {
  walk.least += bytes;
  if (walk.least > walk.limit) throw new PayloadTooLargeError(walk.least, walk.limit, "payload", true);
}

/**
 * The longest JSON text of a finite number: 25 characters (`-0.0000012345678901234567`: 17
 * significant digits written in full down to 1e-6, and a sign).
 */
const MAX_NUMBER_JSON = 25;

/**
 * Checks `value` and returns its copy with an upper bound of the UTF-8 bytes of its JSON: a
 * string's code unit takes at most 6 (`\uXXXX`), so a payload whose bound is within the limit
 * needs no measuring.
 */
function checkValue(value: unknown, walk: Walk, depth: number): Checked {
  switch (typeof value) {
    case "string":
      if (!isStorable(value)) assertStorableString(value, pathOf(walk));
      atLeast(walk, value.length);
      return { bound: value.length * 6 + 2, copy: value, height: 0 };
    case "boolean":
      return { bound: 5, copy: value, height: 0 };
    case "number":
      if (!Number.isFinite(value)) {
        throw new InvalidArgumentError(
          pathOf(walk),
          `${value} is not JSON-serialisable; use a finite number or null`,
        );
      }
      if (Object.is(value, -0))
        throw new InvalidArgumentError(pathOf(walk), "is -0, which JSON stores as 0; use 0");
      return { bound: MAX_NUMBER_JSON, copy: value, height: 0 };
    case "object":
      break;
    default:
      throw new InvalidArgumentError(pathOf(walk), `${withArticle(typeof value)} is not JSON-serialisable`);
  }
  if (value === null) return { bound: 4, copy: null, height: 0 };
  if (depth >= MAX_PAYLOAD_DEPTH) {
    throw new InvalidArgumentError(
      pathOf(walk),
      `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels of arrays and objects`,
    );
  }
  if (walk.ancestors.includes(value))
    throw new InvalidArgumentError(pathOf(walk), "is a circular reference, which JSON cannot encode");
  const known = walk.memo?.get(value);
  if (known !== undefined) {
    // Checked once where it first appeared, maybe higher up: here it must fit below `depth` too.
    if (depth + known.height > MAX_PAYLOAD_DEPTH) {
      throw new InvalidArgumentError(
        pathOf(walk),
        `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels of arrays and objects`,
      );
    }
    atLeast(walk, known.least);
    return known;
  }
  if (++walk.visits > MEMO_AFTER && walk.memo === null) walk.memo = new Map();
  const leastBefore = walk.least;
  const checked = checkContainer(value, walk, depth);
  walk.memo?.set(value, { ...checked, least: walk.least - leastBefore });
  return checked;
}

/** {@link checkValue} of an array or object that is not null, nor too deep, nor a cycle. */
function checkContainer(value: object, walk: Walk, depth: number): Checked {
  // Each array and object is counted once per place it appears, as JSON writes it.
  atLeast(walk, 2);
  let bound = 2;
  if (Array.isArray(value)) {
    walk.ancestors.push(value);
    // The length is read once: a proxy's could change between reads.
    const length = value.length;
    const copy: unknown[] = new Array(length);
    let below = 0;
    for (let i = 0; i < length; i++) {
      walk.path.push(i);
      if (!(i in value))
        throw new InvalidArgumentError(pathOf(walk), "is a hole, which JSON turns into null; use null");
      const item = checkValue(value[i], walk, depth + 1);
      bound += item.bound + 1;
      if (item.height > below) below = item.height;
      copy[i] = item.copy;
      walk.path.pop();
    }
    walk.ancestors.pop();
    return { bound, copy, height: below + 1 };
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    const hint =
      value instanceof Date ? "; pass date.toISOString() instead" : "; use plain objects and arrays";
    throw new InvalidArgumentError(
      pathOf(walk),
      `${withArticle(kind)} is not JSON-serialisable without change${hint}`,
    );
  }
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0 && symbols.some((key) => Object.getOwnPropertyDescriptor(value, key)?.enumerable)) {
    throw new InvalidArgumentError(pathOf(walk), "has a symbol key, which JSON drops; use string keys");
  }
  walk.ancestors.push(value);
  const copy: Record<string, unknown> = {};
  let below = 0;
  for (const key of Object.keys(value)) {
    if (!isStorable(key)) assertStorableString(key, `${pathOf(walk)} key ${JSON.stringify(key)}`);
    const v = (value as Record<string, unknown>)[key];
    walk.path.push(key);
    if (v === undefined) {
      throw new InvalidArgumentError(
        pathOf(walk),
        "is undefined, which JSON drops; omit the key or use null",
      );
    }
    walk.least += key.length;
    const item = checkValue(v, walk, depth + 1);
    bound += key.length * 6 + 4 + item.bound;
    if (item.height > below) below = item.height;
    // An own "__proto__" key (JSON.parse makes them) must stay data, not become the prototype.
    if (key === "__proto__")
      Object.defineProperty(copy, key, {
        value: item.copy,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else copy[key] = item.copy;
    walk.path.pop();
  }
  walk.ancestors.pop();
  return { bound, copy, height: below + 1 };
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
    throw unreadableError(path);
  }
}
