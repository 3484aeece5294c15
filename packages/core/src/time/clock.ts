/** An opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The source of time for the runtime. Inject one (for example `createTestClock()` from
 * `@sched/testing`) to drive schedules, delays, backoff and leases in tests without sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds of this clock's time. The timer must not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer made by {@link Clock.setTimeout}; unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

import { type LongTimeout, setLongTimeout } from "./long-timeout.js";

/**
 * How early a long wait of {@link systemClock} first wakes, as a share of the wait: an operating
 * system (a virtual machine above all) oversleeps in proportion to the sleep, about 1% measured
 * on a 2-core VM (a 1 s timer fired 9–12 ms late). Waking 1/64 of the wait early and sleeping the
 * rest brings the lateness under a millisecond for waits up to a minute or so (the rest of a
 * wait oversleeps by 1% of 1/64 of it).
 */
const EARLY_SHARE = 64;

/** Waits shorter than this (ms) are slept in one go: their oversleep is under a millisecond. */
const PRECISE_BELOW_MS = 64;

/** {@link systemClock}'s timers never keep the process alive. */
const UNREF = { unref: true } as const;

/** A {@link systemClock} timer: the stage it is in (`clear()` cancels it). */
interface SystemTimer {
  stage: LongTimeout;
}

/**
 * Whether `setTimeout` is a fake timer (`@sinonjs/fake-timers`, which vitest and Jest use, marks
 * its functions with their `clock`): fake timers do not oversleep, and a test that steps them one
 * timer at a time (`vi.runOnlyPendingTimers()`) expects one timer per wait.
 */
function fakeTimers(): boolean {
  return (setTimeout as { clock?: unknown }).clock !== undefined;
}

/**
 * Calls `fire` after `wait` ms (see {@link systemClock}): all but 1/64 of the wait first, then
 * what is left of it by `Date.now()`. Each stage is a `setLongTimeout`, so a wait past one Node.js
 * timer's limit (2^31 - 1 ms) is slept in steps, and `Infinity` never fires.
 */
function armSystemTimer(wait: number, fire: () => void): SystemTimer {
  if (wait < PRECISE_BELOW_MS || wait === Number.POSITIVE_INFINITY || fakeTimers()) {
    return { stage: setLongTimeout(fire, wait, UNREF) };
  }
  const end = Date.now() + wait;
  const rest = Math.ceil(wait / EARLY_SHARE);
  const handle: SystemTimer = {
    stage: setLongTimeout(
      () => {
        const left = Math.ceil(Math.min(end - Date.now(), rest));
        // Woke early on purpose: sleep the rest (Node.js timers count whole milliseconds).
        if (left < 1) return fire();
        handle.stage = setLongTimeout(fire, left, UNREF);
      },
      wait - rest,
      UNREF,
    ),
  };
  return handle;
}

/**
 * The real clock: `Date.now()` and unref'd Node.js timers. A timer fires when its wait has passed,
 * to the millisecond (`Date.now()` counts whole ms, so a timer may read one earlier): a long wait
 * first sleeps all but 1/64 of it, then what is left of it by `Date.now()` ({@link EARLY_SHARE}),
 * so the oversleep of the operating system does not make schedules and delayed jobs late. The
 * second sleep is never longer than the part the first one left out (a wall clock set back cannot
 * hold a timer). Under fake timers a wait is one timer, as before. A negative or `NaN` wait is 0;
 * a wait past 2^31 - 1 ms (one Node.js timer's limit) is slept in steps, and `Infinity` never fires.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    return armSystemTimer(Math.max(0, ms) || 0, fn);
  },
  clearTimeout(handle) {
    if (typeof handle !== "object" || handle === null || !("stage" in handle)) return;
    (handle as SystemTimer).stage.clear();
  },
};
