import { type LongTimeout, setLongTimeout } from "./long-timeout.js";

/**
 * Waits for `promise` at most `ms` milliseconds; resolves whether it settled by then (a rejection
 * counts as settled, and is not rethrown). Leaves no timer behind. Used to bound each step of
 * stopping or closing when a backend may hang.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: LongTimeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setLongTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      late,
    ]);
  } finally {
    timer?.clear();
  }
}

/**
 * Waits for `promise` until `deadline` (epoch ms of real time) at most; resolves whether it settled
 * in time (rejections count as settled). Leaves no timer behind.
 */
export function settleBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  return settlesWithin(promise, Math.max(0, deadline - Date.now()));
}

/**
 * Settles like `promise` if it settles within `ms` milliseconds; otherwise rejects with
 * `timedOut()` at `ms` and leaves `promise` to settle unobserved (its rejection is then caught, so
 * it never surfaces as an unhandled rejection). `ms` of 0 or less waits without a bound. Leaves no
 * timer behind.
 */
export function answerWithin<T>(promise: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  if (ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setLongTimeout(() => {
      // The call goes on without a caller: its outcome must not surface as an unhandled rejection.
      promise.catch(() => {});
      reject(timedOut());
    }, ms);
    promise.then(
      (value) => {
        timer.clear();
        resolve(value);
      },
      (err: unknown) => {
        timer.clear();
        reject(err);
      },
    );
  });
}
