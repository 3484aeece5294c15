import {
  decodeJobCursor,
  encodeJobCursor,
  type JobFilter,
  type JobPage,
  type JobSelector,
  type JobStatus,
} from "@sched/core/adapter";
import type { Filter } from "mongodb";
import { type JobDocument, jobOf, STAGED } from "./documents.js";
import type { JobAccess } from "./job-inserts.js";

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 10_000;

/**
 * The filter of the jobs `selector` matches (see `JobSelector`), staged jobs left out. With
 * `within`, its statuses are intersected with those (the statuses a bulk operation may touch).
 */
export function selectorFilter(selector: JobSelector, within?: readonly JobStatus[]): Filter<JobDocument> {
  const filter: Filter<JobDocument> = {};
  let statuses: JobStatus[] | null =
    selector.status === undefined
      ? null
      : Array.isArray(selector.status)
        ? [...selector.status]
        : [selector.status];
  if (within !== undefined)
    statuses = statuses === null ? [...within] : statuses.filter((s) => within.includes(s));
  filter.status = statuses === null ? { $ne: STAGED } : { $in: [...new Set(statuses)] };
  if (selector.queue !== undefined) filter.queue = selector.queue;
  if (selector.name !== undefined) filter.name = selector.name;
  if (selector.group !== undefined) filter.group = selector.group;
  if (selector.from !== undefined || selector.to !== undefined) {
    filter.createdAt = {
      ...(selector.from === undefined ? {} : { $gte: selector.from }),
      ...(selector.to === undefined ? {} : { $lt: selector.to }),
    };
  }
  return filter;
}

/**
 * One page of jobs in (`createdAt`, `id`) order (see `Store.listJobs`), by keyset: the cursor
 * becomes a bound on `createdAt` (`$gte`/`$lte` the cursor's instant, which the indexes on the
 * order turn into an index range) plus a residual test that drops the cursor's own instant up to
 * its id. So a page reads about `limit` index entries whatever its depth, never skips.
 *
 * @throws InvalidArgumentError (`INVALID_ARGUMENT`) for a cursor not made by `encodeJobCursor`;
 *   what the driver throws otherwise (the store wraps it).
 */
export async function listJobPage(access: JobAccess, filter: JobFilter): Promise<JobPage> {
  const limit = Math.min(Math.max(Math.trunc(filter.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
  const descending = filter.order === "desc";
  const query = selectorFilter(filter);
  if (filter.cursor !== undefined && filter.cursor !== null) {
    const after = decodeJobCursor(filter.cursor);
    const instant = new Date(after.createdAt);
    const range = (query.createdAt ?? {}) as Record<string, Date>;
    const bound = descending ? "$lte" : "$gte";
    const kept = range[bound];
    // The tighter of the selector's own bound and the cursor's.
    if (kept === undefined || (descending ? instant < kept : instant > kept)) range[bound] = instant;
    query.createdAt = range;
    query.$or = [
      { createdAt: descending ? { $lt: instant } : { $gt: instant } },
      { id: descending ? { $lt: after.id } : { $gt: after.id } },
    ];
  }
  const direction = descending ? -1 : 1;
  const documents = await access.jobs
    .find(query, access.maxTime())
    .sort({ createdAt: direction, id: direction })
    // One more than the page: whether a job follows it decides `nextCursor`.
    .limit(limit + 1)
    .toArray();
  const page = documents.slice(0, limit);
  const last = page[page.length - 1];
  return {
    jobs: page.map(jobOf),
    nextCursor: documents.length > limit && last !== undefined ? encodeJobCursor(last, filter.order) : null,
  };
}
