import { randomUUID } from "node:crypto";
import type { JobRef } from "@sched/core/adapter";
import type { AnyBulkWriteOperation, Collection, Filter, UpdateFilter } from "mongodb";
import type { JobDocument } from "./documents.js";

/** The filter that holds only while `ref` is the current attempt: that queue, running, that attempt, that holder. */
export function currentAttemptFilter(ref: JobRef): Filter<JobDocument> {
  return { id: ref.id, queue: ref.queue, status: "running", attempt: ref.attempt, lockedBy: ref.lockedBy };
}

/**
 * Applies `update` to every job of `refs` whose attempt is still current, in one `bulkWrite`, and
 * says which refs it applied to. A bulk write reports counts only, so each update also sets
 * `fence` to a token of this call and the ref's place in it; reading the refs' documents back,
 * a ref applied when its job carries its token (of two refs of one job, only the one that
 * applied). The token is unique per call and only another fenced write (of a later attempt)
 * replaces it. A job deleted between the write and the read (completed and removed, or cancelled
 * and deleted, by another call) leaves no token to read: the write's matched count says how many
 * of those applied (see {@link appliedWithoutTrace}). Returns, in input order, whether each ref
 * applied.
 */
export async function applyFenced(
  jobs: Collection<JobDocument>,
  refs: readonly JobRef[],
  update: (ref: JobRef) => UpdateFilter<JobDocument>,
  maxTimeMS: number,
): Promise<boolean[]> {
  if (refs.length === 0) return [];
  const fence = randomUUID();
  const operations: AnyBulkWriteOperation<JobDocument>[] = refs.map((ref, index) => {
    const change = update(ref);
    return {
      updateOne: {
        filter: currentAttemptFilter(ref),
        update: { ...change, $set: { ...(change.$set ?? {}), fence: `${fence}:${index}` } },
      },
    };
  });
  const result = await jobs.bulkWrite(operations, {
    ordered: false,
    ...(maxTimeMS > 0 ? { maxTimeMS } : {}),
  });
  if (result.matchedCount === 0) return refs.map(() => false);
  const changed = await jobs
    .find({ id: { $in: [...new Set(refs.map((ref) => ref.id))] } }, { projection: { id: 1, fence: 1 } })
    .toArray();
  const fences = new Set(changed.map((document) => document.fence));
  const applied = refs.map((_, index) => fences.has(`${fence}:${index}`));
  const present = new Set(changed.map((document) => document.id));
  const gone = refs.flatMap((ref, index) => (present.has(ref.id) ? [] : [index]));
  for (const index of appliedWithoutTrace(refs, gone, result.matchedCount - applied.filter(Boolean).length))
    applied[index] = true;
  return applied;
}

/**
 * Which of the writes at `gone` (places in `items` whose job was no longer there to read back)
 * applied, when `unexplained` of the call's matched writes left no trace: the first ones, one per
 * job (two writes of one job cannot both apply). Exact whenever none or all of them applied;
 * when only some did (two jobs deleted by other calls in the instant between a write and its read,
 * one of them before the write), the first are taken.
 */
export function appliedWithoutTrace(
  items: readonly { id: string }[],
  gone: readonly number[],
  unexplained: number,
): number[] {
  const applied: number[] = [];
  const jobs = new Set<string>();
  for (const index of gone) {
    if (applied.length >= unexplained) break;
    const id = (items[index] as { id: string }).id;
    if (jobs.has(id)) continue;
    jobs.add(id);
    applied.push(index);
  }
  return applied;
}
