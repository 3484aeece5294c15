import type { ResolvedOptions } from "../config/options.js";
import { IndexedHeap } from "../indexed-heap.js";
import type { TimerHandle } from "../time/clock.js";
import type { RunningJob } from "./running-job.js";

/**
 * Timeouts of running jobs: one heap ordered by deadline and one timer armed for the earliest,
 * instead of a timer per job. A job leaves the heap as soon as it settles.
 */
export class DeadlineTracker {
  private readonly heap = new IndexedHeap<RunningJob>(
    (a, b) => a.deadline < b.deadline,
    (running, index) => {
      running.deadlineIndex = index;
    },
  );
  private timer: TimerHandle | null = null;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly onExpired: (running: RunningJob) => void,
  ) {}

  /** Starts watching a job's deadline (jobs without one are ignored). */
  track(running: RunningJob): void {
    if (running.deadline === Number.POSITIVE_INFINITY) return;
    this.heap.push(running);
    if (running.deadline < this.armedAt) this.arm(running.deadline);
  }

  /** Stops watching a job. */
  untrack(running: RunningJob): void {
    if (running.deadlineIndex >= 0) this.heap.removeAt(running.deadlineIndex);
  }

  /** Stops watching every job and clears the timer. */
  clear(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.heap.clear();
  }

  private arm(at: number): void {
    const { clock } = this.options;
    if (this.timer !== null) clock.clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = clock.setTimeout(() => this.expire(), Math.max(0, at - clock.now()));
  }

  private expire(): void {
    this.timer = null;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.options.clock.now();
    for (let head = this.heap.peek(); head; head = this.heap.peek()) {
      if (head.deadline > now) {
        this.arm(head.deadline);
        return;
      }
      this.heap.pop();
      this.onExpired(head);
    }
  }
}
