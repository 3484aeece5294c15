import type { CleanupOptions, WaitingNamesOptions } from "@sched/core/adapter";
import type { Filter } from "mongodb";
import { deleteByQueueAndStatus } from "./bulk-operations.js";
import { type JobDocument, WAITING_STATUSES } from "./documents.js";
import type { JobAccess } from "./job-inserts.js";

/** How many waiting jobs `waitingJobNames` looks at, oldest due first. */
const NAMES_SCAN_LIMIT = 1_000;

/** The filter of waiting jobs (scheduled, pending, failed), due by `dueBy` when given, of the given queues and names (all when `null`). */
export function waitingFilter(
  queues: readonly string[] | null,
  names: readonly string[] | null,
  dueBy: Date | null,
): Filter<JobDocument> {
  const filter: Filter<JobDocument> = { status: { $in: [...WAITING_STATUSES] } };
  if (dueBy !== null) filter.scheduledAt = { $lte: dueBy };
  if (queues !== null) filter.queue = { $in: [...new Set(queues)] };
  if (names !== null) filter.name = { $in: [...new Set(names)] };
  return filter;
}

/**
 * The distinct names of waiting jobs due by `dueBy`, by an aggregation over the oldest due (see `Store.waitingJobNames`).
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function waitingJobNames(access: JobAccess, options: WaitingNamesOptions): Promise<string[]> {
  if (options.queues?.length === 0 || options.limit <= 0) return [];
  const names = await access.jobs
    .aggregate<{ _id: string }>(
      [
        { $match: waitingFilter(options.queues, null, options.dueBy) },
        { $sort: { scheduledAt: 1 } },
        { $limit: NAMES_SCAN_LIMIT },
        { $group: { _id: "$name" } },
        { $limit: options.limit },
      ],
      access.maxTime(),
    )
    .toArray();
  return names.map((name) => name._id);
}

/**
 * Deletes finished jobs past their retention (see `Store.cleanup`), by one `deleteMany` per queue
 * and status, each followed by its count change; returns how many.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function cleanup(access: JobAccess, options: CleanupOptions): Promise<number> {
  return deleteByQueueAndStatus(access, {
    $or: [
      { status: "completed", completedAt: { $lt: options.completedBefore } },
      { status: "dead", completedAt: { $lt: options.deadBefore } },
      { status: "cancelled", completedAt: { $lt: options.cancelledBefore } },
    ],
  });
}
