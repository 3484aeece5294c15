import { ConfigError, InvalidArgumentError, SchedulerError } from "../errors.js";

/** How deep plain objects and arrays within an options object are copied; deeper ones are kept. */
const MAX_DEPTH = 16;

/** What an options object is: the options of a constructor (`ConfigError`) or a call's input. */
export type OptionsKind = "option" | "field";

/**
 * A copy of an options object, read once: its own enumerable string-keyed properties, with the
 * plain objects (prototype `Object.prototype` or `null`) and arrays within copied the same way, to
 * a depth of 16. Class instances (a store, a pool, a Date, a logger made by a class), functions,
 * primitives, and the plain objects within that hold a function (a store or logger written as an
 * object literal, which may keep state on `this`; they are read through once all the same) are
 * kept as they are. Anything else than an object (`undefined` included) is returned
 * unchanged, for the caller's own checks to refuse or accept.
 *
 * The copy is what the caller checks and keeps, so a getter or a proxy trap that throws is
 * reported once, as the caller's bad argument, and a getter that answers differently on a second
 * read cannot slip a value past the checks. For adapter authors too: call it first on the options
 * of a constructor or a method.
 *
 * @param value - The options object as the caller gave it.
 * @param path - Where it was given (`"filter"`, `"config"`, or `""` for a constructor's options,
 *   whose keys are then named alone: `retry.backoff`); named in the error, with the key being read.
 * @param kind - `"option"` for a constructor's options (throws `ConfigError`), `"field"` for a
 *   call's input (throws `InvalidArgumentError`); default `"field"`.
 * @throws ConfigError (`CONFIG_INVALID`) or InvalidArgumentError (`INVALID_ARGUMENT`), by `kind`,
 *   naming the property whose read threw (a getter or a proxy trap); a `SchedulerError` thrown by
 *   a getter passes through unchanged. The thrown error is not repeated or kept (its message may
 *   quote a secret).
 */
export function readOptions<T>(value: T, path: string, kind: OptionsKind = "field"): T {
  if (value === null || typeof value !== "object") return value;
  const copies = new Map<object, unknown>();
  return copyValue(value, path, kind, 0, copies) as T;
}

function copyValue(
  value: object,
  path: string,
  kind: OptionsKind,
  depth: number,
  copies: Map<object, unknown>,
): unknown {
  const seen = copies.get(value);
  if (seen !== undefined) return seen;
  let plain: boolean;
  let array: boolean;
  try {
    array = Array.isArray(value);
    const proto: unknown = array ? null : Object.getPrototypeOf(value);
    plain = array || proto === Object.prototype || proto === null;
  } catch (err) {
    throw unreadable(err, path, kind);
  }
  if (!plain || depth >= MAX_DEPTH) return value;
  if (array) {
    const source = value as unknown[];
    const copy: unknown[] = [];
    copies.set(value, copy);
    let length: number;
    try {
      length = source.length;
    } catch (err) {
      throw unreadable(err, path, kind);
    }
    for (let i = 0; i < length; i++) {
      const at = `${path}[${i}]`;
      copy[i] = copyItem(read(source, i, at, kind), at, kind, depth, copies);
    }
    return copy;
  }
  const copy: Record<string, unknown> = {};
  copies.set(value, copy);
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch (err) {
    throw unreadable(err, path, kind);
  }
  let methods = false;
  for (const key of keys) {
    const at = path === "" ? key : `${path}.${key}`;
    const item = copyItem(read(value as Record<string, unknown>, key, at, kind), at, kind, depth, copies);
    if (typeof item === "function") methods = true;
    // defineProperty: a key named __proto__ stays an own property, as in the original.
    Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  if (methods && depth > 0) {
    // An object with methods within the options (a store, logger or clock written as an object
    // literal) may keep state on `this`: it is kept itself, once read through without a throw.
    copies.set(value, value);
    return value;
  }
  return copy;
}

/**
 * The fields `names` of `value`, each read once (an absent one as `undefined`), without copying
 * what they hold: for an input whose fields are checked one by one (a job), where a copy of every
 * nested value (a payload) would cost more than the check. A getter or proxy trap that throws is
 * reported naming that field (`job.queue`), as {@link readOptions} does.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming `path.field` whose read threw; a
 *   `SchedulerError` thrown by a getter passes through unchanged.
 */
export function readFields<K extends string>(
  value: object,
  names: readonly K[],
  path: string,
): { [key in K]?: unknown } {
  // No prototype: a field not given reads as undefined, never as a property Object.prototype got.
  const fields: { [key in K]?: unknown } = Object.create(null);
  for (const name of names) {
    const at = path === "" ? name : `${path}.${name}`;
    const item = read(value, name, at, "field");
    if (item !== undefined) fields[name] = item;
  }
  return fields;
}

function copyItem(
  item: unknown,
  path: string,
  kind: OptionsKind,
  depth: number,
  copies: Map<object, unknown>,
): unknown {
  return item !== null && typeof item === "object" ? copyValue(item, path, kind, depth + 1, copies) : item;
}

/**
 * `source[key]`, read once; a getter or proxy trap that throws is reported naming `path`, as
 * {@link readOptions} does (a `SchedulerError` passes through unchanged).
 *
 * @throws ConfigError or InvalidArgumentError (by `kind`, default `"field"`) naming `path`.
 */
export function readField(source: object, key: string, path: string, kind: OptionsKind = "field"): unknown {
  return read(source, key, path, kind);
}

function read(source: object, key: string | number, path: string, kind: OptionsKind): unknown {
  try {
    return (source as Record<string | number, unknown>)[key];
  } catch (err) {
    throw unreadable(err, path, kind);
  }
}

function unreadable(err: unknown, path: string, kind: OptionsKind): Error {
  return err instanceof SchedulerError ? err : unreadableError(path === "" ? "options" : path, kind);
}

/**
 * The error for a value at `path` that a getter or proxy trap made unreadable: a `ConfigError`
 * (`kind` `"option"`) or an `InvalidArgumentError` (`"field"`, the default). The thrown error is
 * neither repeated nor kept: its message may quote a secret.
 */
export function unreadableError(path: string, kind?: "field"): InvalidArgumentError;
export function unreadableError(path: string, kind: OptionsKind): ConfigError | InvalidArgumentError;
export function unreadableError(
  path: string,
  kind: OptionsKind = "field",
): ConfigError | InvalidArgumentError {
  const message = "could not be read: a getter or proxy threw while it was read";
  return kind === "option" ? new ConfigError(path, message) : new InvalidArgumentError(path, message);
}
