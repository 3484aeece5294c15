import type { CleanupOptions, Stats, WaitingNamesOptions } from "@sched/core/adapter";
import type { Filter } from "mongodb";
import { type JobDocument, STAGED, WAITING_STATUSES } from "./documents.js";
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
 * Deletes finished jobs past their retention in one `deleteMany` (see `Store.cleanup`); returns how many.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function cleanup(access: JobAccess, options: CleanupOptions): Promise<number> {
  const result = await access.jobs.deleteMany(
    {
      $or: [
        { status: "completed", completedAt: { $lt: options.completedBefore } },
        { status: "dead", completedAt: { $lt: options.deadBefore } },
        { status: "cancelled", completedAt: { $lt: options.cancelledBefore } },
      ],
    },
    access.maxTime(),
  );
  return result.deletedCount;
}

/**
 * Counts jobs by queue and status with one `$group` aggregation in the server (see `Store.stats`).
 * The `$sort` on (`queue`, `status`) lets the server walk the `queue_status_created_order` index (the
 * one index giving that order; no hint, so a store whose indexes are not made yet still answers),
 * and no stage needs another field, so the count can read index keys only, never a job document.
 * It still visits one key per job: the counts are not kept as jobs change, because without
 * transactions a counter written beside each job change drifts for good when a process stops
 * between the two writes (see the README's "Operations").
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function stats(access: JobAccess): Promise<Stats> {
  const counts = await access.jobs
    .aggregate<{ _id: { queue: string; status: string }; count: number }>(
      [
        { $match: { status: { $ne: STAGED } } },
        { $sort: { queue: 1, status: 1 } },
        { $group: { _id: { queue: "$queue", status: "$status" }, count: { $sum: 1 } } },
      ],
      access.maxTime(),
    )
    .toArray();
  // Keyed by queue names, which may be `__proto__` or `constructor`: no prototype to reach.
  const stats: Stats = { ...emptyCounts(), byQueue: Object.create(null) };
  const byQueue = stats.byQueue as NonNullable<Stats["byQueue"]>;
  for (const { _id, count } of counts) {
    const status = _id.status as keyof ReturnType<typeof emptyCounts>;
    if (!(status in stats)) continue;
    stats[status] += count;
    const queue = byQueue[_id.queue] ?? emptyCounts();
    queue[status] += count;
    byQueue[_id.queue] = queue;
  }
  return stats;
}

function emptyCounts(): Omit<Stats, "byQueue"> {
  return { pending: 0, running: 0, completed: 0, failed: 0, dead: 0, scheduled: 0, cancelled: 0 };
}
