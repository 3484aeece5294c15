import type { JobSelector, JobStatus } from "@sched/core/adapter";
import type { Filter, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import type { JobDocument } from "./documents.js";
import type { JobAccess } from "./job-inserts.js";
import { selectorFilter } from "./job-listing.js";

/** The statuses `retryJobs` moves back to pending. */
const RETRYABLE: readonly JobStatus[] = ["dead", "cancelled"];

/** The statuses `deleteJobs` may delete: every one but `running`. */
const DELETABLE: readonly JobStatus[] = ["scheduled", "pending", "failed", "completed", "dead", "cancelled"];

/** What `retryJobs` did: how many jobs moved, and the queues that got jobs (for wake-ups). */
export interface RetriedJobs {
  moved: number;
  queues: Set<string>;
}

/**
 * Moves the dead and cancelled jobs `selector` matches back to `pending` (see `Store.retryJobs`).
 * Jobs without a unique key move in one `updateMany` (each document's change is atomic; the
 * status in the filter keeps a job changed meanwhile out). A keyed job moves alone: the active
 * holder of its key is looked up first, and the partial unique index refuses the move when a
 * holder appeared between, so a job whose key is held stays as it is.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function retryJobs(access: JobAccess, selector: JobSelector, now: Date): Promise<RetriedJobs> {
  const base = selectorFilter(selector, RETRYABLE);
  const queues = new Set<string>();
  const reset = {
    status: "pending" as const,
    scheduledAt: now,
    retryCount: 0,
    lostLeases: 0,
    completedAt: null,
  };
  const unkeyed: Filter<JobDocument> = { ...base, uniqueKey: null };
  const unkeyedQueues = (await access.jobs.distinct("queue", unkeyed, access.maxTime())) as string[];
  const plain = await access.jobs.updateMany(
    unkeyed,
    { $set: reset, $unset: { cancelledAttempt: "" } },
    access.maxTime(),
  );
  let moved = plain.modifiedCount;
  if (moved > 0) for (const queue of unkeyedQueues) queues.add(queue);
  const keyed = access.jobs.find(
    { ...base, uniqueKey: { $type: "string" } },
    { projection: { _id: 1, queue: 1, uniqueKey: 1, status: 1 }, ...access.maxTime() },
  );
  for await (const job of keyed) {
    const { _id, queue, uniqueKey, status } = job as Pick<
      JobDocument,
      "_id" | "queue" | "uniqueKey" | "status"
    >;
    if (uniqueKey === null) continue;
    if (await keyHeldByOther(access, queue, uniqueKey, _id)) continue;
    try {
      const result = await access.jobs.updateOne(
        { _id, status },
        { $set: { ...reset, activeKey: uniqueKey }, $unset: { cancelledAttempt: "" } },
        access.maxTime(),
      );
      if (result.modifiedCount === 1) {
        moved += 1;
        queues.add(queue);
      }
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
  return { moved, queues };
}

async function keyHeldByOther(
  access: JobAccess,
  queue: string,
  key: string,
  self: ObjectId,
): Promise<boolean> {
  const holder = await access.jobs.findOne(
    { queue, activeKey: key, _id: { $ne: self } },
    { projection: { _id: 1 }, ...access.maxTime() },
  );
  return holder !== null;
}

/**
 * Deletes the jobs `selector` matches that are not running (staged ones, of a batch still going
 * in, are never matched),
 * in one `deleteMany` (see `Store.deleteJobs`). A deleted job's unique key goes with its document.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function deleteJobs(access: JobAccess, selector: JobSelector): Promise<number> {
  const filter = selectorFilter(selector, DELETABLE);
  const result = await access.jobs.deleteMany(filter, access.maxTime());
  return result.deletedCount;
}
