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

import { MAX_TIMER_MS } from "./long-timeout.js";

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

/** A {@link systemClock} timer: the Node.js timer of its current stage, `null` once fired or cleared. */
interface SystemTimer {
  timer: ReturnType<typeof setTimeout> | null;
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
 * Arms `handle` to call `fire` after `wait` ms (see {@link systemClock}): a wait past one Node.js
 * timer's limit ({@link MAX_TIMER_MS}) sleeps that limit first, then arms the rest.
 */
function armSystemTimer(handle: SystemTimer, wait: number, fire: () => void): void {
  if (wait === Number.POSITIVE_INFINITY) return;
  if (wait > MAX_TIMER_MS) {
    handle.timer = setTimeout(() => armSystemTimer(handle, wait - MAX_TIMER_MS, fire), MAX_TIMER_MS);
  } else if (wait < PRECISE_BELOW_MS || fakeTimers()) {
    handle.timer = setTimeout(fire, wait);
  } else {
    const end = Date.now() + wait;
    const rest = Math.ceil(wait / EARLY_SHARE);
    handle.timer = setTimeout(() => {
      const left = Math.ceil(Math.min(end - Date.now(), rest));
      // Woke early on purpose: sleep the rest (Node.js timers count whole milliseconds).
      if (left < 1) return fire();
      handle.timer = setTimeout(fire, left);
      handle.timer.unref?.();
    }, wait - rest);
  }
  handle.timer?.unref?.();
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
    const handle: SystemTimer = { timer: null };
    armSystemTimer(handle, Math.max(0, ms) || 0, () => {
      handle.timer = null;
      fn();
    });
    return handle;
  },
  clearTimeout(handle) {
    if (typeof handle !== "object" || handle === null || !("timer" in handle)) return;
    const timer = handle as SystemTimer;
    if (timer.timer !== null) clearTimeout(timer.timer);
    timer.timer = null;
  },
};
