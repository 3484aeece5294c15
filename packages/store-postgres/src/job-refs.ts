import type { JobRef } from "@sched/core/adapter";

/**
 * The ids, queues, attempts and lease holders of `refs` as four arrays for `unnest`, sorted by id:
 * statements that lock several rows then lock them in one order, so two batches on the same jobs
 * (a completion and a lease renewal) cannot deadlock.
 */
export function refColumns(refs: readonly JobRef[]): [string[], string[], number[], string[]] {
  const sorted = [...refs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [
    sorted.map((ref) => ref.id),
    sorted.map((ref) => ref.queue),
    sorted.map((ref) => ref.attempt),
    sorted.map((ref) => ref.lockedBy),
  ];
}

/**
 * Whether each of `refs` is among the refs a statement `applied`, in input order; a ref listed
 * twice counts once, the first time.
 */
export function appliedInOrder(refs: readonly JobRef[], applied: readonly JobRef[]): boolean[] {
  const keys = new Set<string>();
  for (const ref of applied) keys.add(refKey(ref));
  return refs.map((ref) => keys.delete(refKey(ref)));
}

/** The ids of `refs` that are not among the refs a statement `applied`, in input order. */
export function notApplied(refs: readonly JobRef[], applied: readonly JobRef[]): string[] {
  const keys = new Set<string>();
  for (const ref of applied) keys.add(refKey(ref));
  return refs.filter((ref) => !keys.has(refKey(ref))).map((ref) => ref.id);
}

/**
 * A ref as one string. A queue name holds no tab, and the holder is JSON-quoted (so a tab in it
 * is escaped): the id after the third tab is unambiguous.
 */
function refKey(ref: JobRef): string {
  return `${ref.attempt}\t${JSON.stringify(ref.lockedBy)}\t${ref.queue}\t${ref.id}`;
}
