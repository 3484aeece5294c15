import { InvalidArgumentError, SchedulerError } from "../errors.js";
import { dateMs } from "../validation/dates.js";
import { describeValue } from "../validation/text.js";
import type { Clock, TimerHandle } from "./clock.js";
import { type Duration, parseDuration } from "./duration.js";

interface PendingTimer {
  readonly handle: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/** The default start, so tests never depend on the real date. */
const DEFAULT_START = Date.UTC(2030, 0, 1);

/** Turns of the event loop given to async work after each timer fires. */
const TURNS_AFTER_TIMER = 5;

/** Lets queued promise callbacks and immediates run, so async work started by a timer can go on. */
async function settle(): Promise<void> {
  for (let i = 0; i < TURNS_AFTER_TIMER; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function toEpochMs(value: Date | number, field: string): number {
  const ms = typeof value === "number" ? value : dateMs(value);
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      field,
      `expected a valid Date or epoch milliseconds, got ${describeValue(value)}`,
    );
  }
  return ms;
}

/**
 * A {@link Clock} that moves only when told to. Pass it as the scheduler's `clock` to drive
 * schedules, delays, backoff, timeouts and leases in tests without sleeping.
 *
 * @example
 * const clock = new ManualClock(new Date("2030-01-01T08:59:00Z"));
 * const s = createScheduler({ clock });
 * await clock.advance("1m"); // timers due by 09:00 fire, in order
 */
export class ManualClock implements Clock {
  private current: number;
  private nextHandle = 1;
  // Few timers are pending at once, so a list scanned for the earliest is simplest. Handles
  // increase, so the first of equal due times in the list is the one set first.
  private readonly timers: PendingTimer[] = [];
  // advance() and runAll() run one at a time, in call order.
  private running: Promise<void> = Promise.resolve();

  /** Starts at `start` (default 2030-01-01T00:00:00.000Z). */
  constructor(start: Date | number = DEFAULT_START) {
    this.current = toEpochMs(start, "start");
  }

  /** The clock's time in ms since the epoch. */
  now(): number {
    return this.current;
  }

  /** Schedules `fn` at `now() + ms`; a negative or non-finite delay counts as zero. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const handle = this.nextHandle++;
    this.timers.push({ handle, dueAt: this.current + delay, fn });
    return handle;
  }

  /** Cancels a timer; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void {
    const index = this.timers.findIndex((timer) => timer.handle === handle);
    if (index !== -1) this.timers.splice(index, 1);
  }

  /** How many timers are set and not yet fired or cleared. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `by` (ms or a duration string such as `"5m"`), firing every timer due on
   * the way in time order, with `now()` at each timer's due time. After each timer, pending async
   * work gets a few turns of the event loop, so timers it sets within the window fire too. A timer
   * that throws rejects the call.
   */
  advance(by: Duration): Promise<void> {
    let ms: number;
    try {
      ms = parseDuration(by, "advance");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.serially(async () => {
      const target = this.current + ms;
      await settle();
      while (await this.fireNext(target)) {
        // Each pass fires one timer; timers set meanwhile are seen by the next scan.
      }
      this.current = Math.max(this.current, target);
      await settle();
    });
  }

  /** Sets the time (forwards or backwards) without firing timers; overdue ones fire on the next `advance`. */
  set(to: Date | number): void {
    this.current = toEpochMs(to, "to");
  }

  /**
   * Fires every timer, including timers set meanwhile, moving time to each one's due time, until
   * none is left. Rejects when more than `maxTimers` (default 10,000) fire: something keeps
   * re-arming itself, so use {@link advance} instead.
   */
  runAll(options: { maxTimers?: number } = {}): Promise<void> {
    const maxTimers = options.maxTimers ?? 10_000;
    return this.serially(async () => {
      await settle();
      for (let fired = 0; await this.fireNext(Number.POSITIVE_INFINITY); fired++) {
        if (fired >= maxTimers) {
          throw new SchedulerError(
            "TIMER_LOOP",
            `runAll fired more than ${maxTimers} timers; a timer keeps re-arming itself, so use advance() instead`,
          );
        }
      }
    });
  }

  /** Fires the earliest timer if it is due by `until`; returns whether one fired. */
  private async fireNext(until: number): Promise<boolean> {
    let index = -1;
    for (let i = 0; i < this.timers.length; i++) {
      if (index === -1 || this.timers[i]!.dueAt < this.timers[index]!.dueAt) index = i;
    }
    const timer = this.timers[index];
    if (timer === undefined || timer.dueAt > until) return false;
    this.timers.splice(index, 1);
    this.current = Math.max(this.current, timer.dueAt);
    timer.fn();
    await settle();
    return true;
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const result = this.running.then(work);
    this.running = result.catch(() => undefined);
    return result;
  }
}
