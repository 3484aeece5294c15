import type { GroupLimits, QueueRecord, RateLimit } from "@sched/core/adapter";
import type { ObjectId } from "mongodb";
import { documentIdOf } from "../documents.js";

/**
 * The control document of a queue that needs the controlled claim path: one exists once
 * `updateQueue` wrote the queue's controls, a handler pushed the queue back, or a job with a group
 * was enqueued in it. A queue without one is claimed by the plain path (see `claimDueJobs`).
 *
 * Besides the controls, it holds the queue's claim state, written only by the holder of its claim
 * lock: the claims counted in the current rate-limit window, the serve counter that orders groups
 * in the fair rotation, and the claim lock itself (see `claim-lock.ts`).
 */
export interface QueueDocument {
  _id: ObjectId;
  name: string;
  /** Whether the queue has stored controls: only then `getQueue` and `listQueues` show it. */
  configured: boolean;
  paused: boolean;
  concurrency: number | null;
  rateLimit: RateLimit | null;
  group: GroupLimits | null;
  limitedUntil: Date | null;
  updatedAt: Date | null;
  /** The start (epoch ms) of the rate-limit window `windowCount` counts claims in. */
  windowStart: number;
  windowCount: number;
  /** How many jobs claims have taken from the queue's controlled path: the rotation's clock. */
  served: number;
  /** Until when (the claimer's `now` plus the lock's time to live) `claimHolder` holds the claim lock. */
  claimLockUntil: Date | null;
  claimHolder: string | null;
  /** Changed by every `updateQueue`: the change stream tells every instance to look for work. */
  wakeUp?: string;
}

/**
 * The rotation and limit state of one group of a queue (the jobs without a group are one more
 * group, `group: null`, not subject to group limits). Created when a claim first serves the group
 * or a handler pushes it back; written only under the queue's claim lock.
 */
export interface GroupDocument {
  _id: ObjectId;
  queue: string;
  group: string | null;
  /** The value of the queue's `served` counter when a claim last took a job of the group; 0: never. */
  lastServed: number;
  windowStart: number;
  windowCount: number;
  limitedUntil: Date | null;
}

/** A deduplication window of one key of a queue (see `createDedupedJob`). */
export interface DedupeDocument {
  _id: ObjectId;
  queue: string;
  key: string;
  /** The job that opened the window. */
  jobId: string;
  openedAt: Date;
  /** `throttle`: the window is open while `now < expiresAt`. */
  expiresAt: Date;
}

/** The `_id` of a queue's control document. */
export function queueDocumentId(queue: string): ObjectId {
  return documentIdOf(`queue:${queue}`);
}

/** The `_id` of a group's document (`null`: the queue's jobs without a group). */
export function groupDocumentId(queue: string, group: string | null): ObjectId {
  return documentIdOf(`group:${queue}\u0000${group === null ? "\u0001" : `=${group}`}`);
}

/** The `_id` of a deduplication window's document. */
export function dedupeDocumentId(queue: string, key: string): ObjectId {
  return documentIdOf(`dedupe:${queue}\u0000${key}`);
}

/** The fields a queue's control document starts with, `configured` aside. */
export function initialQueueFields(name: string): Omit<QueueDocument, "_id" | "configured"> {
  return {
    name,
    paused: false,
    concurrency: null,
    rateLimit: null,
    group: null,
    limitedUntil: null,
    updatedAt: null,
    windowStart: 0,
    windowCount: 0,
    served: 0,
    claimLockUntil: null,
    claimHolder: null,
  };
}

/** The queue record a control document stands for. */
export function queueRecordOf(document: QueueDocument): QueueRecord {
  return {
    name: document.name,
    paused: document.paused === true,
    concurrency: document.concurrency ?? null,
    rateLimit:
      document.rateLimit == null ? null : { max: document.rateLimit.max, per: document.rateLimit.per },
    group:
      document.group == null
        ? null
        : {
            concurrency: document.group.concurrency ?? null,
            rateLimit:
              document.group.rateLimit == null
                ? null
                : { max: document.group.rateLimit.max, per: document.group.rateLimit.per },
          },
    limitedUntil: document.limitedUntil ?? null,
    updatedAt: document.updatedAt ?? new Date(0),
  };
}

/** The start (epoch ms) of the window of `per` ms that holds `now`: windows are aligned to the Unix epoch. */
export function windowStartOf(now: Date, per: number): number {
  return Math.floor(now.getTime() / per) * per;
}

/**
 * The start (epoch ms) of the window a claim at `now` counts in: the one that holds `now`, or the
 * stored one when that is later. A claim whose `now` lies in an earlier window (an instance whose
 * clock is behind, a claim that waited) counts in the stored window: a window only moves forward.
 */
export function windowOf(state: { windowStart: number }, now: Date, per: number): number {
  return Math.max(windowStartOf(now, per), state.windowStart);
}

/**
 * How many claims a stored window counter holds for the window a claim at `now` counts in (0 when
 * `now` is in a later window than the stored one; see {@link windowOf}).
 */
export function claimsInWindow(
  state: { windowStart: number; windowCount: number },
  now: Date,
  per: number,
): number {
  return state.windowStart >= windowStartOf(now, per) ? state.windowCount : 0;
}
