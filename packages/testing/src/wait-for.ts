import { type Duration, parseDuration } from "@sched/core";

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /**
   * How long to keep trying, in real time (default `"2s"`, below vitest's default test timeout of
   * 5 s, so that a timeout is reported by `waitFor` with its description).
   */
  timeout?: Duration;
  /** The pause between two calls of the probe, in real time (default `"10ms"`). */
  interval?: Duration;
  /** What is waited for, for the timeout's message: `timed out after 2000ms waiting for <description>`. */
  description?: string;
}

/** A value {@link waitFor} keeps waiting through. */
type NotYet = undefined | null | false;

// Taken when this module loads, before a test can install fake timers: waiting is always in real time.
const realSetTimeout = globalThis.setTimeout;
const realNow = Date.now;

/**
 * Calls `probe` until it returns (or resolves to) a value other than `undefined`, `null` or
 * `false`, and resolves with that value. Rejects when the value has not come within
 * `options.timeout`; an error thrown by `probe` rejects at once.
 *
 * For what a test cannot await directly: work done on other connections or processes, wake-up
 * notifications, a leadership taken over by another instance. Waiting is in real time, also
 * under `vi.useFakeTimers()`; to move a test clock instead, see {@link createTestClock}.
 *
 * @example
 * ```ts
 * // a condition
 * await waitFor(() => ran.length === 50, { description: "50 jobs to run", timeout: "5s" });
 * // a value: the first row, once there is one
 * const row = await waitFor(async () => (await pool.query("SELECT pid FROM workers")).rows[0]);
 * ```
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<Awaited<T>, NotYet>> {
  const timeoutMs = parseDuration(options.timeout ?? "2s", "timeout");
  const intervalMs = parseDuration(options.interval ?? "10ms", "interval");
  const deadline = realNow() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) {
      return value as Exclude<Awaited<T>, NotYet>;
    }
    if (realNow() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${options.description ?? "the condition"}`);
    }
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}
