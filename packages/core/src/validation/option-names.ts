import { ConfigError, InvalidArgumentError } from "../errors.js";
import { keyPath } from "./quote.js";
import { describeValue } from "./text.js";

/**
 * The optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours each cost 1, so the typo `STOER` is one step from `STORE`.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const substitution = rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The name of `known` closest to `written`, when it is close enough to be a typo of it: at most
 * one edit per three characters, rounded up (at least one edit, at most three), case ignored.
 * Failing that, the one name of `known` that `written` (three characters or more) begins, as a
 * shortened name (`log` for `logger`, `poll` for `pollInterval`); none when several do.
 */
export function closestName<T extends string>(written: string, known: readonly T[]): T | undefined {
  const text = written.toLowerCase();
  const allowed = Math.min(3, Math.max(1, Math.ceil(text.length / 3)));
  let closest: T | undefined;
  let closestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const distance = editDistance(text, name.toLowerCase());
    if (distance < closestDistance) {
      closest = name;
      closestDistance = distance;
    }
  }
  if (closestDistance <= allowed) return closest;
  if (text.length < 3) return undefined;
  const longer = known.filter((name) => name.length > text.length && name.toLowerCase().startsWith(text));
  return longer.length === 1 ? longer[0] : undefined;
}

/**
 * Names other job queues give to options and fields that @sched names otherwise, keyed by that
 * name, each to the @sched name to suggest in its place (`concurrency` → `workers`). Only names that
 * are not @sched's own at that place belong here.
 */
export type ForeignNames = Readonly<Record<string, string>>;

/**
 * Checks that an options object (`value`, found at `path`, e.g. `"distributed"` or `""` for the
 * top level) has only the names in `known`: a misspelt or foreign option is a mistake that would
 * otherwise be silently ignored (`new RedisStore({ sentinels })` connecting to 127.0.0.1 instead).
 * Options whose value is `undefined` count as absent. For adapter authors too. `foreign` maps names
 * other queues use (`concurrency`) to the option to suggest instead (`workers`).
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the first unknown option (`path.name`), with the
 *   known name it stands for in `foreign`, or the closest known name when it looks like a typo or
 *   a shortened name; or naming `path` when `value` is not an object; or naming a known option
 *   that `value` would inherit from `Object.prototype` (a prototype pollution), never read.
 */
export function assertKnownOptions(
  value: unknown,
  known: readonly string[],
  path = "",
  foreign: ForeignNames = {},
): void {
  checkNames(value, known, path, "option", (field, message) => new ConfigError(field, message), foreign);
}

/**
 * Like {@link assertKnownOptions}, for the fields of a call's input (a job, a filter): a misspelt
 * field (`maxRetry`) is refused rather than ignored. `undefined` passes (the input is optional)
 * unless `required` gives the shape to name in the error (`"{ since, until?, queue? }"`).
 * `foreign` as for {@link assertKnownOptions} (`attempts` → `maxRetries`).
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) naming the first unknown field, or `path`
 *   when `value` is not an object (or is `undefined` and `required` is given), or a known field
 *   that `value` would inherit from `Object.prototype` (a prototype pollution), never read.
 */
export function assertKnownFields(
  value: unknown,
  known: readonly string[],
  path: string,
  required?: { shape: string },
  foreign: ForeignNames = {},
): void {
  const error = (field: string, message: string) => new InvalidArgumentError(field, message);
  if (
    required !== undefined &&
    (value === undefined || value === null || typeof value !== "object" || Array.isArray(value))
  ) {
    throw error(path, `expected ${required.shape}, got ${describeValue(value)}`);
  }
  checkNames(value, known, path, "field", error, foreign);
}

/**
 * The path of the option `name` under `path` for an error: `path.name` for a plain name, else the
 * name quoted (see keyPath) in brackets, so that a key holding a line break or a long text cannot
 * forge or flood the message.
 */
function fieldPath(path: string, name: string): string {
  return path ? keyPath(path, name) : keyPath("options", name).replace(/^options\./, "");
}

function checkNames(
  value: unknown,
  known: readonly string[],
  path: string,
  noun: "option" | "field",
  error: (field: string, message: string) => Error,
  foreign: ForeignNames,
): void {
  if (value === undefined) return;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw error(path || "options", `expected an object of ${noun}s, got ${got}`);
  }
  for (const name of known) {
    // Object.prototype holds no name @sched reads: one there was put by a prototype pollution, and
    // every object would inherit it (a connection string, a queue). Refused, never read.
    if (Object.hasOwn(Object.prototype, name) && !Object.hasOwn(value, name) && name in value) {
      throw error(
        fieldPath(path, name),
        `is not given, but Object.prototype has a property of this name, which every object inherits; @sched reads only an object's own ${noun}s (was Object.prototype modified?)`,
      );
    }
  }
  for (const name of Object.keys(value)) {
    if (known.includes(name) || (value as Record<string, unknown>)[name] === undefined) continue;
    const field = fieldPath(path, name);
    const stands = Object.hasOwn(foreign, name) ? foreign[name] : undefined;
    const suggestion = stands !== undefined && known.includes(stands) ? stands : closestName(name, known);
    const hint = suggestion === undefined ? "." : `; did you mean ${path ? `${path}.` : ""}${suggestion}?`;
    throw error(
      field,
      `is not ${noun === "option" ? "an option" : "a field"} here${hint} Known: ${known.join(", ")}`,
    );
  }
}
