import type { JobSelector, JobStatus } from "@sched/core/adapter";
import type { Filter, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import { CountChanges } from "./counts/count-documents.js";
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
 * The (queue, status) pairs of the jobs `filter` matches, by one `$group` in the server: a bulk
 * write then runs once per pair with both in its filter, so that what the server reports it
 * changed is exactly that queue's and status's count change.
 *
 * @throws what the driver throws.
 */
export async function queueStatusPairs(
  access: JobAccess,
  filter: Filter<JobDocument>,
): Promise<{ queue: string; status: JobStatus }[]> {
  const pairs = await access.jobs
    .aggregate<{ _id: { queue: string; status: JobStatus } }>(
      [
        { $match: filter },
        { $sort: { queue: 1, status: 1 } },
        { $group: { _id: { queue: "$queue", status: "$status" } } },
      ],
      access.maxTime(),
    )
    .toArray();
  return pairs.map((pair) => pair._id);
}

/**
 * Moves the dead and cancelled jobs `selector` matches back to `pending` (see `Store.retryJobs`).
 * Jobs without a unique key move by one `updateMany` per queue and status they are in (each
 * document's change is atomic; the status in the filter keeps a job changed meanwhile out, and
 * the modified count is the count change). A keyed job moves alone: the active holder of its key
 * is looked up first, and the partial unique index refuses the move when a holder appeared
 * between, so a job whose key is held stays as it is.
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
  const changes = new CountChanges();
  const unkeyed: Filter<JobDocument> = { ...base, uniqueKey: null };
  let moved = 0;
  for (const { queue, status } of await queueStatusPairs(access, unkeyed)) {
    const plain = await access.jobs.updateMany(
      { ...unkeyed, queue, status },
      { $set: reset, $unset: { cancelledAttempt: "" } },
      access.maxTime(),
    );
    await access.counts.write(changes.move(queue, status, "pending", plain.modifiedCount));
    moved += plain.modifiedCount;
    if (plain.modifiedCount > 0) queues.add(queue);
  }
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
        await access.counts.write(changes.move(queue, status, "pending"));
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
 * in, are never matched) by one `deleteMany` per queue and status they are in (see
 * `Store.deleteJobs`); each one's deleted count is the count change. A deleted job's unique key
 * goes with its document.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function deleteJobs(access: JobAccess, selector: JobSelector): Promise<number> {
  return deleteByQueueAndStatus(access, selectorFilter(selector, DELETABLE));
}

/**
 * Deletes the jobs `filter` matches by one `deleteMany` per queue and status, writing each one's
 * count change after it; returns how many were deleted.
 *
 * @throws what the driver throws.
 */
export async function deleteByQueueAndStatus(
  access: JobAccess,
  filter: Filter<JobDocument>,
): Promise<number> {
  const changes = new CountChanges();
  let deleted = 0;
  for (const { queue, status } of await queueStatusPairs(access, filter)) {
    const result = await access.jobs.deleteMany({ ...filter, queue, status }, access.maxTime());
    await access.counts.write(changes.add(queue, status, -result.deletedCount));
    deleted += result.deletedCount;
  }
  return deleted;
}
