import { type Clock, type Duration, InvalidArgumentError, parseDuration, SchedulerError } from "@sched/core";

/**
 * A {@link Clock} that only moves when the test says so. Pass it as the scheduler's `clock` and
 * drive schedules, delays, backoff and leases without sleeping.
 */
export interface TestClock extends Clock {
  /**
   * Moves time forward by `by` (milliseconds or a duration string such as `"5m"`), firing every
   * timer that falls due on the way, in time order, with `now()` set to each timer's due time.
   * After each timer it lets pending promise callbacks run, so async work started by a timer can
   * set further timers; those fire too when they fall due within the window. Resolves once time has
   * reached the target and that work has settled. A timer callback that throws rejects the call.
   */
  advance(by: Duration): Promise<void>;
  /**
   * Sets the current time (forwards or backwards) without firing timers; timers keep their due
   * instants, and those now overdue fire on the next `advance` (`advance(0)` fires them).
   */
  set(to: Date | number): void;
  /** How many timers are set and not yet fired or cleared. */
  pendingTimers(): number;
  /**
   * Fires every timer, including timers set meanwhile, moving time to each one's due time, until
   * none is left. Rejects when more than `maxTimers` (default 10,000) fire, which means something
   * keeps re-arming itself: use {@link TestClock.advance} for that.
   */
  runAll(options?: { maxTimers?: number }): Promise<void>;
}

interface PendingTimer {
  readonly handle: number;
  readonly dueAt: number;
  readonly fn: () => void;
}

/** The default start of a test clock, so tests never depend on the real date. */
const DEFAULT_START = Date.UTC(2030, 0, 1);

/** Lets every queued promise callback (and `process.nextTick`) run before continuing. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function toEpochMs(value: Date | number, field: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(field, `expected a valid Date or epoch milliseconds, got ${String(value)}`);
  }
  return ms;
}

/**
 * Creates a {@link TestClock} starting at `start` (default 2030-01-01T00:00:00.000Z).
 *
 * @example
 * ```ts
 * const clock = createTestClock(new Date("2030-01-01T08:59:00Z"));
 * const scheduler = createScheduler({ clock });
 * await clock.advance("1m"); // timers due by 09:00 fire, in order
 * ```
 */
export function createTestClock(start: Date | number = DEFAULT_START): TestClock {
  let now = toEpochMs(start, "start");
  let nextHandle = 1;
  // Few timers are ever pending in a test, so a list scanned for the earliest is simplest.
  // Handles increase, so the first of equal due times in the list is the one set first.
  const timers: PendingTimer[] = [];
  // advance() and runAll() run one at a time, in call order.
  let running: Promise<void> = Promise.resolve();

  const earliestIndex = (): number => {
    let best = -1;
    for (let i = 0; i < timers.length; i++) {
      if (best === -1 || (timers[i] as PendingTimer).dueAt < (timers[best] as PendingTimer).dueAt) best = i;
    }
    return best;
  };

  /** Fires the earliest timer if it is due by `until`; returns whether one fired. */
  const fireNext = async (until: number): Promise<boolean> => {
    const index = earliestIndex();
    const timer = timers[index];
    if (timer === undefined || timer.dueAt > until) return false;
    timers.splice(index, 1);
    now = Math.max(now, timer.dueAt);
    timer.fn();
    await settle();
    return true;
  };

  const serially = (work: () => Promise<void>): Promise<void> => {
    const result = running.then(work);
    running = result.catch(() => undefined);
    return result;
  };

  return {
    now: () => now,

    setTimeout(fn: () => void, ms: number): number {
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
      const handle = nextHandle++;
      timers.push({ handle, dueAt: now + delay, fn });
      return handle;
    },

    clearTimeout(handle: unknown): void {
      const index = timers.findIndex((timer) => timer.handle === handle);
      if (index !== -1) timers.splice(index, 1);
    },

    advance(by: Duration): Promise<void> {
      let ms: number;
      try {
        ms = parseDuration(by, "advance");
      } catch (error) {
        return Promise.reject(error);
      }
      return serially(async () => {
        const target = now + ms;
        await settle();
        while (await fireNext(target)) {
          // Each pass fires one timer; timers set meanwhile are seen by the next scan.
        }
        now = Math.max(now, target);
        await settle();
      });
    },

    set(to: Date | number): void {
      now = toEpochMs(to, "to");
    },

    pendingTimers: () => timers.length,

    runAll(options: { maxTimers?: number } = {}): Promise<void> {
      const maxTimers = options.maxTimers ?? 10_000;
      return serially(async () => {
        await settle();
        for (let fired = 0; await fireNext(Number.POSITIVE_INFINITY); fired++) {
          if (fired >= maxTimers) {
            throw new SchedulerError(
              "TIMER_LOOP",
              `runAll fired more than ${maxTimers} timers; a timer keeps re-arming itself, so use advance() instead`,
            );
          }
        }
      });
    },
  };
}
