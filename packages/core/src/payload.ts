import { InvalidArgumentError, PayloadTooLargeError } from "./errors.js";

/**
 * Checks that a payload survives a JSON round trip unchanged (plain objects, arrays, strings,
 * finite numbers, booleans, null) and that its JSON is at most `limitBytes`. Rejecting a Date,
 * Map, class instance, function, BigInt, NaN or cycle at enqueue time is kinder than a handler
 * that later receives something else.
 *
 * @throws InvalidArgumentError naming the path of the bad value; PayloadTooLargeError.
 */
export function assertJsonPayload(payload: unknown, limitBytes: number): void {
  checkValue(payload, "payload", new Set());
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

function checkValue(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) {
        throw new InvalidArgumentError(
          path,
          `${value} is not JSON-serialisable; use a finite number or null`,
        );
      }
      return;
    case "object":
      break;
    default:
      throw new InvalidArgumentError(path, `a ${typeof value} is not JSON-serialisable`);
  }
  if (value === null) return;
  if (seen.has(value))
    throw new InvalidArgumentError(path, "is a circular reference, which JSON cannot encode");
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) checkValue(value[i], `${path}[${i}]`, seen);
    seen.delete(value);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    const hint =
      value instanceof Date ? "; pass date.toISOString() instead" : "; use plain objects and arrays";
    throw new InvalidArgumentError(path, `a ${kind} is not JSON-serialisable without change${hint}`);
  }
  seen.add(value);
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) {
      throw new InvalidArgumentError(
        `${path}.${key}`,
        "is undefined, which JSON drops; omit the key or use null",
      );
    }
    checkValue(v, `${path}.${key}`, seen);
  }
  seen.delete(value);
}
