import { IndexedHeap } from "../indexed-heap.js";
import type { JobStatus } from "../jobs/job.js";
import { claimsBefore, dueBefore, type JobRecord } from "./job-record.js";

/** Job counts by status. @internal */
export type StatusCounts = Record<JobStatus, number>;

/** A zeroed {@link StatusCounts}. @internal */
export function emptyCounts(): StatusCounts {
  return { pending: 0, scheduled: 0, running: 0, completed: 0, failed: 0, dead: 0, cancelled: 0 };
}

const setTimeSlot = (record: JobRecord, index: number): void => {
  record.timeSlot = index;
};
const setReadySlot = (record: JobRecord, index: number): void => {
  record.readySlot = index;
};

/**
 * The waiting jobs and status counts of one lane: the jobs of one name in one queue (and, for
 * grouped jobs, of one group).
 *
 * While every waiting job of the queue has the same priority (the common case), claim order is
 * due order, and one heap in due order (`delayed`) serves both claims and {@link nextDueAt}.
 *
 * Once priorities differ, a single heap in claim order cannot answer "which due job comes
 * first": a high-priority job that is not yet due would sit on top and hide due jobs below it.
 * So the queue switches to two places, until it next runs empty:
 *
 * - `delayed`, in due order, for jobs no claim has yet seen due;
 * - `ready`, in claim order, for jobs a claim has seen due (with `readyByTime`, the same jobs in
 *   due order, so that {@link nextDueAt} stays exact and cheap).
 *
 * A claim first promotes the due heads of `delayed`, then pops `ready`. Because `now` is passed in
 * and may go backwards, a `ready` head that is not due at this claim's `now` is moved back to
 * `delayed` instead of being claimed.
 *
 * @internal
 */
export class QueueState {
  /** Job counts of this queue by status. */
  readonly counts: StatusCounts = emptyCounts();
  private readonly delayed = new IndexedHeap<JobRecord>(dueBefore, setTimeSlot);
  private readonly ready = new IndexedHeap<JobRecord>(claimsBefore, setReadySlot);
  private readonly readyByTime = new IndexedHeap<JobRecord>(dueBefore, setTimeSlot);
  /** The `now` of the last promotion: a new job due by then can skip `delayed`. */
  private readyUpTo = Number.NEGATIVE_INFINITY;
  /** How many jobs the heaps hold. */
  private waiting = 0;
  /** Whether waiting jobs may differ in priority (then `ready` is in use). */
  private mixed = false;
  /** The priority of every waiting job while not {@link mixed}. */
  private priority = 0;

  /**
   * @param name - the queue name.
   * @param jobName - the job name.
   * @param group - the group key of the lane's jobs, or `null` for jobs without a group.
   */
  constructor(
    readonly name: string,
    readonly jobName: string,
    readonly group: string | null = null,
  ) {}

  /** Adds a job that has just started waiting. Its `scheduledAt` must not change until it leaves. */
  enter(record: JobRecord): void {
    if (this.waiting === 0) {
      this.mixed = false;
      this.priority = record.priority;
    } else if (!this.mixed && record.priority !== this.priority) {
      this.mixed = true;
      this.readyUpTo = Number.NEGATIVE_INFINITY;
    }
    this.waiting++;
    if (this.mixed && record.scheduledAt <= this.readyUpTo) this.pushReady(record);
    else {
      record.placement = "delayed";
      this.delayed.push(record);
    }
  }

  /** Removes a waiting job (claimed, cancelled or deleted). */
  leave(record: JobRecord): void {
    if (record.placement === "none") return;
    if (record.placement === "delayed") this.delayed.removeAt(record.timeSlot);
    else {
      this.ready.removeAt(record.readySlot);
      this.readyByTime.removeAt(record.timeSlot);
    }
    record.placement = "none";
    this.waiting--;
  }

  /** Moves every job due at `now` into claim order. */
  promote(now: number): void {
    if (!this.mixed) return;
    for (let head = this.delayed.peek(); head !== undefined && head.scheduledAt <= now; ) {
      this.delayed.pop();
      this.pushReady(head);
      head = this.delayed.peek();
    }
    this.readyUpTo = now;
  }

  /** The next job to claim at `now` (after {@link promote}), without removing it. */
  dueHead(now: number): JobRecord | undefined {
    if (!this.mixed) {
      const head = this.delayed.peek();
      return head !== undefined && head.scheduledAt <= now ? head : undefined;
    }
    for (let head = this.ready.peek(); head !== undefined; head = this.ready.peek()) {
      if (head.scheduledAt <= now) return head;
      // Promoted by a claim with a later `now`: not due for this one.
      this.ready.removeAt(head.readySlot);
      this.readyByTime.removeAt(head.timeSlot);
      head.placement = "delayed";
      this.delayed.push(head);
    }
    return undefined;
  }

  /** The earliest `scheduledAt` of a waiting job, in epoch ms, or `null`. */
  nextDueAt(): number | null {
    const delayed = this.delayed.peek();
    const ready = this.readyByTime.peek();
    if (delayed === undefined) return ready === undefined ? null : ready.scheduledAt;
    if (ready === undefined) return delayed.scheduledAt;
    return Math.min(delayed.scheduledAt, ready.scheduledAt);
  }

  /** Drops every waiting job from the heaps. */
  clear(): void {
    this.waiting = 0;
    this.delayed.clear();
    this.ready.clear();
    this.readyByTime.clear();
  }

  private pushReady(record: JobRecord): void {
    record.placement = "ready";
    this.ready.push(record);
    this.readyByTime.push(record);
  }
}
