/** Waits for `promise` at most `ms`; resolves whether it settled in time. Leaves no timer behind. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Settles like `promise` if it settles within `ms`; otherwise rejects with `timedOut()` at `ms`
 * and leaves `promise` to settle unobserved. `ms` of 0 waits without a bound. Leaves no timer behind.
 */
export function answerWithin<T>(promise: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  if (ms <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The call goes on without a caller: its outcome must not surface as an unhandled rejection.
      promise.catch(() => {});
      reject(timedOut());
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
