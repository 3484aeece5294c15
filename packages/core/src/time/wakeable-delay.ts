import type { Clock } from "./clock.js";

/** A wait on a clock that can be ended early (see {@link wakeableDelay}). */
export interface WakeableDelay {
  /** Resolves after the delay, or at once when {@link WakeableDelay.wake} is called. */
  readonly done: Promise<void>;
  /** Ends the wait now and clears its timer; later calls do nothing. */
  wake(): void;
}

/**
 * Waits `ms` on `clock`, or until woken: for the wait before a store call is tried again, which
 * stop() must be able to end so that no timer outlives it.
 */
export function wakeableDelay(clock: Clock, ms: number): WakeableDelay {
  let wake!: () => void;
  const done = new Promise<void>((resolve) => {
    const timer = clock.setTimeout(() => wake(), ms);
    let woken = false;
    wake = () => {
      if (woken) return;
      woken = true;
      clock.clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}
