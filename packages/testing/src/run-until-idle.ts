import { type Duration, type ManualClock, parseDuration, type Scheduler, SchedulerError } from "@sched/core";

/** Options of {@link runUntilIdle}. */
export interface RunUntilIdleOptions {
  /**
   * The scheduler's manual clock. When given, time is advanced to each next due job (delays,
   * retry backoff) until nothing waits at all, so a test can run retries through to the dead-letter
   * queue without sleeping. Without it, only jobs due now are waited for.
   */
  clock?: ManualClock;
  /** With `clock`: advance at most this far in total (default `"24h"`). */
  maxAdvance?: Duration;
  /** Give up after this much real time (default `"10s"`), rejecting with code `IDLE_TIMEOUT`. */
  timeout?: Duration;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Resolves once the scheduler has nothing left to do now: no job running, none due, and no
 * outcome (such as a dead-letter handler) still being recorded. With a
 * `clock`, it also moves time forward to each next due job until none waits. Recurring schedules
 * are not followed (they never end); advance the clock yourself for those.
 *
 * @example
 * ```ts
 * const clock = createTestClock();
 * const s = createScheduler({ clock });
 * s.register("flaky", handler);
 * await s.start();
 * await s.enqueue({ name: "flaky" });
 * await runUntilIdle(s, { clock }); // runs the job and its retries
 * ```
 */
export async function runUntilIdle(scheduler: Scheduler, options: RunUntilIdleOptions = {}): Promise<void> {
  const { clock } = options;
  const deadline = Date.now() + parseDuration(options.timeout ?? "10s", "timeout");
  const advanceLimit = (clock?.now() ?? 0) + parseDuration(options.maxAdvance ?? "24h", "maxAdvance");
  const queues = scheduler.options.queues;
  for (;;) {
    for (let i = 0; i < 5; i++) await turn();
    const [stats, due] = await Promise.all([
      scheduler.store.stats(),
      // Only jobs this scheduler can claim: a name no handler here runs would wait forever.
      scheduler.store.nextDueAt({ queues, names: scheduler.handlerNames }),
    ]);
    const now = scheduler.now();
    const dueNow = due !== null && due.getTime() <= now;
    // localWork covers what the store cannot see yet: failures being recorded, dead-letter
    // handlers running, acknowledgements not yet sent.
    if (stats.running === 0 && !dueNow && scheduler.localWork === 0) {
      if (!clock || due === null || due.getTime() > advanceLimit) return;
      await clock.advance(due.getTime() - clock.now());
      continue;
    }
    if (Date.now() > deadline) {
      throw new SchedulerError(
        "IDLE_TIMEOUT",
        `the scheduler did not become idle in time: ${stats.running} running, ${dueNow ? "jobs" : "no job"} due; is it started, and does a handler hang?`,
      );
    }
  }
}
