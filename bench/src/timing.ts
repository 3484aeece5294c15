import { setTimeout as sleep } from "node:timers/promises";

export { sleep };

/**
 * Runs a full garbage collection when the process was started with `--expose-gc` (the children
 * are), so that garbage left by one phase is not collected on the next phase's clock.
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
}

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The offset that turns `performance.now()` into epoch ms as `Date.now()` (which the queues use to
 * decide when a job is due) reports it, measured at the instant `Date.now()` ticks. Being
 * preempted between the two reads can only make one measurement too small, so the largest of a
 * few is kept.
 */
export function epochOffset(tries = 5): number {
  let best = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < tries; k++) {
    const start = Date.now();
    let ticked = Date.now();
    while (ticked === start) ticked = Date.now();
    best = Math.max(best, ticked - performance.now());
  }
  return best;
}

/**
 * Converts `performance.now()` readings to `Date.now()` epoch ms with sub-millisecond precision:
 * calibrated at `start()` and again at `finish()`, interpolating between the two, because the
 * wall clock may be slewed against the monotonic one by a fraction of a millisecond per second.
 */
export class EpochConverter {
  private startAt = 0;
  private startOffset = 0;
  private endAt = 0;
  private endOffset = 0;

  /** Calibrates now; readings before {@link finish} use this offset. */
  start(): void {
    this.startOffset = epochOffset();
    this.startAt = performance.now();
    this.endAt = this.startAt;
    this.endOffset = this.startOffset;
  }

  /** Calibrates again; readings in between are interpolated. Returns the drift in ms. */
  finish(): number {
    this.endOffset = epochOffset();
    this.endAt = performance.now();
    return this.endOffset - this.startOffset;
  }

  /** The epoch ms of a `performance.now()` reading. */
  toEpoch(perfNow: number): number {
    const span = this.endAt - this.startAt;
    const share = span > 0 ? (perfNow - this.startAt) / span : 0;
    return perfNow + this.startOffset + (this.endOffset - this.startOffset) * share;
  }
}

/** A promise with its resolve function, for "the handler ran" signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
