import type { Clock, TimerHandle } from "./clock.js";
import { type Duration, parseDuration } from "./duration.js";

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets pending promise callbacks and immediates run, so async work started by a timer can go on. */
async function letAsyncWorkRun(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A {@link Clock} that moves only when told to. Pass it as the scheduler's `clock` to drive
 * schedules, delays, backoff, timeouts and leases in tests without sleeping.
 *
 * @example
 * const clock = new ManualClock(new Date("2030-01-01T00:00:00Z"));
 * const s = createScheduler({ clock });
 * await clock.advance("1m"); // fires every timer due within the minute, in order
 */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  /** Starts at `start` (default 2030-01-01T00:00:00Z). */
  constructor(start: Date | number = Date.UTC(2030, 0, 1)) {
    this.current = typeof start === "number" ? start : start.getTime();
  }

  /** The clock's time in ms since the epoch. */
  now(): number {
    return this.current;
  }

  /** Schedules `fn` at `now() + ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  /** Cancels a timer. */
  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** How many timers are waiting. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order. After each firing, pending
   * async work gets a few turns of the event loop, so timers it sets within the window fire too.
   */
  async advance(duration: Duration, turnsBetween = 5): Promise<void> {
    const target = this.current + parseDuration(duration, "advance");
    await letAsyncWorkRun(turnsBetween);
    for (;;) {
      const due = this.earliestDue(target);
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
      await letAsyncWorkRun(turnsBetween);
    }
    this.current = target;
    await letAsyncWorkRun(turnsBetween);
  }

  /** Moves time to `date` (forward only), firing due timers on the way. */
  async set(date: Date | number): Promise<void> {
    const target = typeof date === "number" ? date : date.getTime();
    if (target > this.current) await this.advance(target - this.current);
  }

  /** Fires every waiting timer, moving time to each, until none is left or `maxTimers` fired. */
  async runAll(maxTimers = 10_000): Promise<void> {
    for (let i = 0; i < maxTimers && this.timers.length > 0; i++) {
      const due = this.earliestDue(Number.POSITIVE_INFINITY)!;
      await this.advance(Math.max(0, due.at - this.current));
    }
  }

  private earliestDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers)
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    return best;
  }
}
