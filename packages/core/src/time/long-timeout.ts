/**
 * The longest wait one Node.js timer takes: 2^31 - 1 ms (about 24.8 days). Node.js fires a
 * longer one after 1 ms, with a `TimeoutOverflowWarning`.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timer of {@link setLongTimeout}: `clear()` cancels it (idempotent, also after it fired). */
export interface LongTimeout {
  clear(): void;
}

/**
 * Calls `fn` once after `ms` milliseconds of real time, however long the wait: a wait past
 * {@link MAX_TIMER_MS}, which one Node.js timer would cut to 1 ms, is slept in steps of at most
 * that. `ms` of `Infinity` never fires; a negative or `NaN` wait fires on the next turn of the
 * timers. The timer keeps the process alive unless `unref` is set.
 */
export function setLongTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): LongTimeout {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let left = Math.max(0, ms) || 0;
  const arm = (): void => {
    if (left === Number.POSITIVE_INFINITY) return;
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(() => {
      timer = null;
      if (left > 0) arm();
      else fn();
    }, step);
    if (options?.unref) timer.unref?.();
  };
  arm();
  return {
    clear() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      left = Number.POSITIVE_INFINITY;
    },
  };
}
