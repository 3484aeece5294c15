import { InvalidArgumentError } from "../errors.js";

/** Deeper than this, or cyclic, a payload is left to `structuredClone`. */
const MAX_DEPTH = 64;

/** Thrown inside {@link copyPlain} when a value is not plain JSON data. */
const NOT_PLAIN: unique symbol = Symbol("not plain");

/**
 * Deep-copies a job payload so that the caller's object and the stored one never share state.
 *
 * Plain JSON data (objects, arrays, strings, numbers, booleans, null) is copied by hand, which is
 * many times faster than `structuredClone` for the small payloads of typical jobs; anything else
 * (a `Date`, a `Map`, a class instance, a cycle) falls back to `structuredClone`.
 *
 * @throws InvalidArgumentError (`payload`) for functions, symbols, bigints and values
 *   `structuredClone` cannot copy.
 * @internal
 */
export function copyPayload(payload: unknown): unknown {
  try {
    return copyPlain(payload, 0);
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
  }
  try {
    return structuredClone(payload);
  } catch (cause) {
    throw new InvalidArgumentError("payload", "the payload cannot be copied; use plain JSON values", {
      cause,
    });
  }
}

function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return value;
    case "object":
      break;
    default:
      throw new InvalidArgumentError("payload", `a ${typeof value} is not a JSON value`);
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) throw NOT_PLAIN;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyPlain(value[i], depth + 1);
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const item = copyPlain(source[key], depth + 1);
    // An own "__proto__" key (JSON.parse makes them) must stay data, not become the prototype.
    if (key === "__proto__")
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}
