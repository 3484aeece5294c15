/**
 * Waits for `promise` at most `ms` milliseconds; resolves whether it settled by then (a rejection
 * counts as settled, and is not rethrown). Leaves no timer behind. Leader adapters use it to bound
 * each step of closing a connection to a backend that may hang.
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
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
    clearTimeout(timer);
  }
}
