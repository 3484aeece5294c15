import { beforeEach } from "vitest";

/**
 * A test (or group) of a conformance suite to skip, and why: for a backend reached through an
 * emulator that lacks a feature the test relies on (see `StoreConformanceOptions.skip`).
 */
export interface ConformanceSkip {
  /**
   * Text the test's full name (its groups and its own name, joined by `" > "`) contains, or a
   * pattern it matches, e.g. `"unique keys > of 20 concurrent"`.
   */
  readonly test: string | RegExp;
  /** Why it cannot run, e.g. `"the emulator does not enforce unique indexes"`. */
  readonly reason: string;
}

/** The reason to skip the test named `fullName`, or `undefined` to run it. */
export function skipReason(skips: readonly ConformanceSkip[], fullName: string): string | undefined {
  for (const { test, reason } of skips) {
    if (typeof test === "string" ? fullName.includes(test) : test.test(fullName)) return reason;
  }
  return undefined;
}

/**
 * Inside a `describe` block, before any other hook: skips, with its reason, each test `skips`
 * names, so that it is reported as skipped rather than left out, and opens nothing.
 */
export function skipByName(skips: readonly ConformanceSkip[] | undefined): void {
  if (skips === undefined || skips.length === 0) return;
  beforeEach((context) => {
    const reason = skipReason(skips, fullNameOf(context.task));
    if (reason !== undefined) context.skip(reason);
  });
}

/** A task's name with the names of its groups: `"A store conformance > unique keys > …"`. */
function fullNameOf(task: { name: string; suite?: { name: string; suite?: unknown } | undefined }): string {
  const names: string[] = [task.name];
  let suite = task.suite as { name: string; suite?: unknown } | undefined;
  while (suite !== undefined && suite.name !== "") {
    names.unshift(suite.name);
    suite = suite.suite as { name: string; suite?: unknown } | undefined;
  }
  return names.join(" > ");
}
