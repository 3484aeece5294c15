import { randomUUID } from "node:crypto";
import type { JobRef } from "@sched/core/adapter";
import type { AnyBulkWriteOperation, Collection, Filter, UpdateFilter } from "mongodb";
import { documentIdOf, type JobDocument } from "./documents.js";

/** The filter that holds only while `ref` is the current attempt: running, that attempt, that holder. */
export function currentAttemptFilter(ref: JobRef): Filter<JobDocument> {
  return { _id: documentIdOf(`job:${ref.id}`), status: "running", attempt: ref.attempt, lockedBy: ref.lockedBy };
}

/**
 * Applies `update` to every job of `refs` whose attempt is still current, in one `bulkWrite`, and
 * says which refs it applied to. A bulk write reports counts only, so each update also sets
 * `fence` to a token of this call; reading the refs' documents back, those carrying the token
 * are the ones changed. The token is unique per call and only another fenced write (of a later
 * attempt) replaces it. Returns, in input order, whether each ref applied.
 */
export async function applyFenced(
  jobs: Collection<JobDocument>,
  refs: readonly JobRef[],
  update: (ref: JobRef) => UpdateFilter<JobDocument>,
  maxTimeMS: number,
): Promise<boolean[]> {
  if (refs.length === 0) return [];
  const fence = randomUUID();
  const operations: AnyBulkWriteOperation<JobDocument>[] = refs.map((ref) => {
    const change = update(ref);
    return {
      updateOne: {
        filter: currentAttemptFilter(ref),
        update: { ...change, $set: { ...(change.$set ?? {}), fence } },
      },
    };
  });
  const result = await jobs.bulkWrite(operations, { ordered: false, ...(maxTimeMS > 0 ? { maxTimeMS } : {}) });
  if (result.modifiedCount === 0) return refs.map(() => false);
  if (result.modifiedCount === refs.length) return refs.map(() => true);
  const applied = await jobs
    .find({ _id: { $in: refs.map((ref) => documentIdOf(`job:${ref.id}`)) }, fence }, { projection: { id: 1 } })
    .toArray();
  const ids = new Set(applied.map((document) => document.id));
  return refs.map((ref) => ids.has(ref.id));
}
