import type { JobStatus, Stats } from "@sched/core/adapter";
import type { ObjectId } from "mongodb";
import { documentIdOf } from "../documents.js";

/** The counts of one queue, one number per status. */
export type StatusCounts = Omit<Stats, "byQueue">;

/** Every status a count is kept for, in the order of `Stats`. */
export const COUNTED_STATUSES: readonly JobStatus[] = [
  "pending",
  "running",
  "completed",
  "failed",
  "dead",
  "scheduled",
  "cancelled",
];

/**
 * The kept counts of one queue (`kind: "queue"`), `_id` derived from the queue name. Written by
 * `$inc` after every job write that changes the queue's counts; `version` rises with every such
 * write, so a recount can tell whether the counts moved while it read the jobs (see `recount.ts`).
 */
export interface QueueCountsDocument extends StatusCounts {
  _id: ObjectId;
  kind: "queue";
  queue: string;
  version: number;
  /** Set once a recount found these counts equal to the jobs (or rewrote them from the jobs). */
  verified?: boolean;
  /** Delta documents already added to these counts, whose deletion is still to come (see `foldDeltas`). */
  folded?: ObjectId[];
}

/**
 * Count changes written inside an application transaction (`kind: "delta"`): an insert of its
 * own, so that concurrent transactions never write the same document, folded into the queue's
 * counts by `cleanup`. Only the statuses it changes are present.
 */
export interface CountDeltaDocument extends Partial<StatusCounts> {
  _id: ObjectId;
  kind: "delta";
  queue: string;
}

/**
 * Whether `stats()` may read the kept counts (`kind: "state"`, one per store). Written when the
 * store first runs: `trusted` when the jobs collection was empty then (every job since was
 * counted), else `false` until a recount verified every queue.
 */
export interface CountStateDocument {
  _id: ObjectId;
  kind: "state";
  trusted: boolean;
}

/** A document of `<prefix>counts`. */
export type CountsDocument = QueueCountsDocument | CountDeltaDocument | CountStateDocument;

/** The `_id` of the counts of `queue`. */
export function queueCountsId(queue: string): ObjectId {
  return documentIdOf(`counts:${queue}`);
}

/** The `_id` of the store's count state. */
export const COUNT_STATE_ID: ObjectId = documentIdOf("counts:state");

/** Zero for every status. */
export function zeroCounts(): StatusCounts {
  return { pending: 0, running: 0, completed: 0, failed: 0, dead: 0, scheduled: 0, cancelled: 0 };
}

/** The status counts of a queue or delta document (absent fields: 0). */
export function countsOf(document: Partial<StatusCounts> | null | undefined): StatusCounts {
  const counts = zeroCounts();
  if (document === null || document === undefined) return counts;
  for (const status of COUNTED_STATUSES) counts[status] = document[status] ?? 0;
  return counts;
}

/** Whether two sets of counts are equal status by status. */
export function sameCounts(a: StatusCounts, b: StatusCounts): boolean {
  return COUNTED_STATUSES.every((status) => a[status] === b[status]);
}

/**
 * The count changes of one store call: per queue, how much each status count moves. Filled as
 * job writes apply (never before: a change is recorded only once the server said it happened).
 */
export class CountChanges {
  private readonly byQueue = new Map<string, Partial<Record<JobStatus, number>>>();

  /** Adds `n` (negative: removes) to the count of `status` in `queue`. */
  add(queue: string, status: string, n = 1): this {
    if (n === 0 || !isCounted(status)) return this;
    const changes = this.byQueue.get(queue) ?? {};
    changes[status] = (changes[status] ?? 0) + n;
    this.byQueue.set(queue, changes);
    return this;
  }

  /** Moves `n` jobs of `queue` from status `from` to status `to`. */
  move(queue: string, from: string, to: string, n = 1): this {
    if (from === to) return this;
    return this.add(queue, from, -n).add(queue, to, n);
  }

  /** The nonzero changes, per queue; a queue with none is left out. */
  entries(): [string, Partial<StatusCounts>][] {
    const entries: [string, Partial<StatusCounts>][] = [];
    for (const [queue, changes] of this.byQueue) {
      const nonzero = Object.fromEntries(Object.entries(changes).filter(([, n]) => n !== 0));
      if (Object.keys(nonzero).length > 0) entries.push([queue, nonzero]);
    }
    return entries;
  }

  /** Forgets every change (after they were written). */
  clear(): void {
    this.byQueue.clear();
  }
}

function isCounted(status: string): status is JobStatus {
  return (COUNTED_STATUSES as readonly string[]).includes(status);
}
