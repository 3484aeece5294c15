import type { JobRef } from "@sched/core";

/**
 * The ids, queues and attempts of `refs` as three arrays for `unnest`, sorted by id: statements
 * that lock several rows then lock them in one order, so two batches on the same jobs (a
 * completion and a lease renewal) cannot deadlock.
 */
export function refColumns(refs: readonly JobRef[]): [string[], string[], number[]] {
  const sorted = [...refs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [sorted.map((ref) => ref.id), sorted.map((ref) => ref.queue), sorted.map((ref) => ref.attempt)];
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

/** A ref as one string: a queue name holds no tab, so the id after the second one is unambiguous. */
function refKey(ref: JobRef): string {
  return `${ref.attempt}\t${ref.queue}\t${ref.id}`;
}
