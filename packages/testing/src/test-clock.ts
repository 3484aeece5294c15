import { ManualClock } from "@sched/core";

/**
 * A clock that only moves when the test says so: `advance(by)`, `set(to)`, `runAll()` and
 * `pendingTimers()`. It is `@sched/core`'s `ManualClock`.
 */
export type TestClock = ManualClock;

/**
 * Creates a {@link TestClock} starting at `start` (default 2030-01-01T00:00:00.000Z). Pass it as the
 * scheduler's `clock` and drive schedules, delays, backoff and leases without sleeping.
 *
 * @example
 * ```ts
 * const clock = createTestClock(new Date("2030-01-01T08:59:00Z"));
 * const scheduler = createScheduler({ clock });
 * await clock.advance("1m"); // timers due by 09:00 fire, in order
 * ```
 */
export function createTestClock(start?: Date | number): TestClock {
  return new ManualClock(start);
}
