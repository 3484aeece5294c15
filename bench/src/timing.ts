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
 * A sub-millisecond wall clock in epoch ms that agrees with `Date.now()` (which the queues use to
 * decide when a job is due): `performance.now()` offset by the moment `Date.now()` ticked.
 */
export function wallClock(): () => number {
  const start = Date.now();
  let ticked = Date.now();
  while (ticked === start) ticked = Date.now();
  const offset = ticked - performance.now();
  return () => offset + performance.now();
}

/** A promise with its resolve function, for "the handler ran" signals. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
