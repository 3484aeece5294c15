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
  /**
   * Give up after this much real time (default `"10s"`), rejecting with code `IDLE_TIMEOUT`; also
   * while `clock` is being advanced (a job that comes back without end, whose retries are never
   * counted, would otherwise be followed to `maxAdvance`).
   */
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
export async function runUntilIdle<Jobs extends object, Tx>(
  scheduler: Scheduler<Jobs, Tx>,
  options: RunUntilIdleOptions = {},
): Promise<void> {
  const { clock } = options;
  const deadline = Date.now() + parseDuration(options.timeout ?? "10s", "timeout");
  const advanceLimit = (clock?.now() ?? 0) + parseDuration(options.maxAdvance ?? "24h", "maxAdvance");
  const queues = scheduler.options.queues;
  // Idle must be seen twice in a row: the two reads run on different connections of a store, so a
  // change that commits between them (a failure recorded, a claim) can make one look idle.
  let idleSeen = 0;
  // Advances of the clock to a next due job: many, in a run that does not end, are a job that
  // keeps coming back (a store that never counts its retries).
  let advances = 0;
  for (;;) {
    for (let i = 0; i < 5; i++) await turn();
    // localWork covers what the store cannot see yet: failures being recorded, dead-letter
    // jobs being resolved, acknowledgements not yet sent. Read before the store, so that work
    // that lands meanwhile is seen by the store's reads.
    const localWork = scheduler.localWork;
    const [stats, due] = await Promise.all([
      scheduler.store.stats(),
      // Only jobs this scheduler can claim: a name no handler here runs would wait forever.
      scheduler.store.nextDueAt({ queues, names: scheduler.handlerNames }),
    ]);
    const now = scheduler.now();
    const dueNow = due !== null && due.getTime() <= now;
    // Checked at every round, advancing or not: a run that keeps advancing the clock must end too.
    if (Date.now() > deadline) {
      throw new SchedulerError(
        "IDLE_TIMEOUT",
        `the scheduler did not become idle in time: ${stats.running} running, ${dueNow ? "jobs" : "no job"} due${
          advances > 0
            ? `, after ${advances} advance${advances === 1 ? "" : "s"} of the clock to a next due job`
            : ""
        }; is it started, does a handler hang, or does a job come back without end (retries not counted)?`,
      );
    }
    if (stats.running === 0 && !dueNow && localWork === 0 && scheduler.localWork === 0) {
      idleSeen++;
      if (idleSeen < 2) continue;
      idleSeen = 0;
      if (!clock || due === null || due.getTime() > advanceLimit) return;
      await clock.advance(due.getTime() - clock.now());
      advances++;
      continue;
    }
    idleSeen = 0;
  }
}
