import { type Duration, type ManualClock, parseDuration, type Scheduler, SchedulerError } from "@sched/core";

/** Options of {@link runUntilIdle}. */
export interface RunUntilIdleOptions {
  /**
   * The scheduler's manual clock. When given, time is moved to each next due job (delays, retry
   * backoff) until nothing waits at all, so a test can run retries through to the dead-letter
   * queue without sleeping. Time jumps (stopping at each schedule tick on the way, and at most
   * `distributed.lockRefresh` at once when distributed); the real time taken does not grow with
   * the span. Without it, only jobs due now are waited for.
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
 * Moves `clock` forward to `target`, the next due job's time, while nothing runs or is due before
 * it. Time jumps there instead of stepping through every poll: advancing a day one poll interval
 * at a time fires some 400,000 timers, seconds of real time that grow with the span. The
 * scheduler's periodic work (polls, maintenance) runs once at the new time, as after a pause of
 * the process. What the span holds is still reached in order: a schedule's next tick before
 * `target` is a stop on the way, and with `distributed` on no jump is longer than `lockRefresh`,
 * so a lease held (leadership) is renewed before it could expire.
 */
async function moveTo<Jobs extends object, Tx>(
  scheduler: Scheduler<Jobs, Tx>,
  clock: ManualClock,
  target: number,
): Promise<void> {
  const from = clock.now();
  let to = target;
  for (const schedule of await scheduler.store.listSchedules()) {
    const next = schedule.nextRunAt?.getTime();
    // A tick at or before now is the schedule runner's (or a paused schedule's): not a stop.
    if (next !== undefined && next > from && next < to) to = next;
  }
  const { distributed } = scheduler.options;
  if (distributed.enabled) to = Math.min(to, from + distributed.lockRefresh);
  if (to <= from) return;
  clock.set(to);
  // Fires every timer now overdue, once each, at the new time.
  await clock.advance(0);
}

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
        }; is it started, does a handler hang, or does a job come back without end (retries not counted)?${
          advances > 0 && scheduler.options.distributed.enabled
            ? ` With distributed on, the clock moves at most lockRefresh (${scheduler.options.distributed.lockRefresh} ms) at a time: for long waits give the test's schedulers a longer lockTTL and lockRefresh.`
            : ""
        }`,
      );
    }
    if (stats.running === 0 && !dueNow && localWork === 0 && scheduler.localWork === 0) {
      idleSeen++;
      if (idleSeen < 2) continue;
      idleSeen = 0;
      if (!clock || due === null || due.getTime() > advanceLimit) return;
      await moveTo(scheduler, clock, due.getTime());
      advances++;
      continue;
    }
    idleSeen = 0;
  }
}
