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
 * replaces it. Returns, in input order, whether each ref applied.
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
    .find({ id: { $in: [...new Set(refs.map((ref) => ref.id))] } }, { projection: { fence: 1 } })
    .toArray();
  const fences = new Set(changed.map((document) => document.fence));
  return refs.map((_, index) => fences.has(`${fence}:${index}`));
}
