import {
  createScheduler,
  type Job,
  type JobContext,
  type OverlapPolicy,
  ScheduleNotFoundError,
  type Scheduler,
  type SchedulerOptions,
  type Store,
  TICK_METADATA,
  tickJitter,
} from "@sched/core";
import { expect } from "vitest";
import { type RecordingLogger, recordingLogger } from "../recording-logger.js";
import { createTestClock, type TestClock } from "../test-clock.js";
import { waitFor } from "../wait-for.js";

const START = "2030-01-01T00:00:00.000Z";
const iso = (text: string) => new Date(text).toISOString();

/**
 * A scheduler on `store` and `clock`. The runner re-reads schedules every 10 s of clock time, and
 * otherwise sleeps until the next tick.
 */
function schedulerOn(store: Store, clock: TestClock, options: SchedulerOptions = {}): Scheduler {
  lastLogger = recordingLogger();
  return createScheduler({
    store,
    clock,
    logger: lastLogger,
    workers: 5,
    pollInterval: "10s",
    // Held jobs run across minutes of clock time: their leases must not lapse between renewals.
    distributed: { lockTTL: "1h", lockRefresh: "10m" },
    ...options,
  });
}

/** The logger of the scheduler made last, whose warnings and errors a failed wait reports. */
let lastLogger: RecordingLogger | null = null;

/**
 * Moves the clock to `at` (ISO 8601). Moving it exactly onto a due tick is robust: should the
 * runner still be busy with an earlier pass, it plans its next one from the clock's time, and
 * finds the tick due at once.
 */
async function advanceTo(clock: TestClock, at: string): Promise<void> {
  await clock.advance(Math.max(0, Date.parse(at) - clock.now()));
}

/** Waits in real time for `condition`, reporting the warnings and errors the scheduler logged. */
async function until(condition: () => boolean | Promise<boolean>, description: string): Promise<void> {
  try {
    await waitFor(async () => (await condition()) || undefined, { timeout: "10s", description });
  } catch (err) {
    const logged = (lastLogger?.lines ?? []).filter(
      (line) => line.level === "warn" || line.level === "error",
    );
    throw new Error(`${(err as Error).message}; logged: ${JSON.stringify(logged)}`);
  }
}

/** The jobs `s` holds for schedule `name`, oldest tick first, with their tick time. */
async function jobsOf(s: Scheduler, name: string): Promise<Array<Job & { tick: string }>> {
  const jobs = (await s.listJobs({ name, limit: 1_000 })).jobs;
  return jobs
    .map((job) => ({ ...job, tick: job.metadata[TICK_METADATA.tick] ?? "" }))
    .sort((a, b) => (a.tick < b.tick ? -1 : a.tick > b.tick ? 1 : 0));
}

/** Real time for the leader to act on a step when the expected outcome is that nothing happens. */
function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A schedule every 10 s fires at 00:00:10, is paused (no tick at :20, :30 or :40, also after it is
 * defined again as on a restart), and resumed at :40: its next run is :50, the ticks that fell
 * during the pause are not run, and `occurrences` counts the two that fired.
 */
export async function pauseResumeScenario(store: Store): Promise<void> {
  const clock = createTestClock(new Date(START));
  const s = schedulerOn(store, clock);
  try {
    await s.schedule("steered", "*/10 * * * * *", () => {});
    await s.start();
    await advanceTo(clock, "2030-01-01T00:00:10.000Z");
    await until(async () => (await jobsOf(s, "steered")).length === 1, "the first tick");

    const paused = await s.pauseSchedule("steered");
    expect(paused).toMatchObject({ paused: true, nextRunAt: null, occurrences: 1 });
    expect(await s.getSchedule("steered")).toMatchObject({ paused: true, nextRunAt: null });
    // Defined again with the same definition (a restart): still paused.
    await s.schedule("steered", "*/10 * * * * *", () => {});
    expect(await s.getSchedule("steered")).toMatchObject({ paused: true, nextRunAt: null });

    await clock.set(new Date("2030-01-01T00:00:39.000Z"));
    await clock.advance("1s");
    await settle();
    expect((await jobsOf(s, "steered")).map((job) => job.tick)).toEqual([iso("2030-01-01T00:00:10Z")]);

    const resumed = await s.resumeSchedule("steered");
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt?.toISOString()).toBe(iso("2030-01-01T00:00:50Z"));
    await advanceTo(clock, "2030-01-01T00:00:50.000Z");
    await until(async () => (await jobsOf(s, "steered")).length === 2, "the tick after resume");
    expect((await jobsOf(s, "steered")).map((job) => job.tick)).toEqual([
      iso("2030-01-01T00:00:10Z"),
      iso("2030-01-01T00:00:50Z"),
    ]);
    expect((await s.getSchedule("steered"))?.occurrences).toBe(2);

    await expect(s.pauseSchedule("missing")).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(s.resumeSchedule("missing")).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });
    expect(await s.getSchedule("missing")).toBeNull();
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/**
 * Pausing on one instance while another defines the schedule anew, five times over: whatever
 * order the writes land in, both changes are kept (the new definition, paused). Resuming then
 * plans from the new definition.
 */
export async function concurrentPauseScenario(store: Store, peer: Store): Promise<void> {
  const clock = createTestClock(new Date(START));
  const a = createScheduler({ store, clock, logger: recordingLogger(), distributed: { instanceId: "a" } });
  const b = createScheduler({
    store: peer,
    clock,
    logger: recordingLogger(),
    distributed: { instanceId: "b" },
  });
  for (let round = 0; round < 5; round++) {
    const name = `contended-${round}`;
    await a.schedule(name, "0 1 * * *", () => {});
    await clock.advance("1s");
    await Promise.all([a.pauseSchedule(name), b.schedule(name, "0 2 * * *", () => {})]);
    const stored = await a.getSchedule(name);
    expect(stored?.definition.expression, name).toBe("0 2 * * *");
    expect(stored?.paused, name).toBe(true);
    expect(stored?.nextRunAt, name).toBeNull();
    const resumed = await b.resumeSchedule(name);
    expect(resumed.nextRunAt?.toISOString(), name).toBe(iso("2030-01-01T02:00:00Z"));
  }
}

/**
 * `triggerSchedule` enqueues one extra run now (metadata `sched.origin` = `"trigger"`), from the
 * leader or from an instance that never started, paused or not, and leaves `nextRunAt`,
 * `lastRunAt` and `occurrences` as they were.
 */
export async function triggerScenario(store: Store): Promise<void> {
  const clock = createTestClock(new Date(START));
  const s = schedulerOn(store, clock);
  const other = createScheduler({ store, clock, logger: recordingLogger() });
  const ran: Job[] = [];
  try {
    await s.schedule("hourly", "0 * * * *", (job) => {
      ran.push(job);
    });
    await s.start();
    const before = await s.getSchedule("hourly");
    const job = await s.triggerSchedule("hourly");
    expect(job).toMatchObject({ name: "hourly", status: "pending" });
    expect(job.scheduledAt.toISOString()).toBe(START);
    expect(job.metadata).toMatchObject({
      [TICK_METADATA.schedule]: "hourly",
      [TICK_METADATA.tick]: START,
      [TICK_METADATA.origin]: "trigger",
    });
    await waitFor(() => ran.length === 1, { timeout: "5s", description: "the triggered run" });
    expect(ran[0]?.id).toBe(job.id);

    await s.pauseSchedule("hourly");
    const fromOther = await other.triggerSchedule("hourly");
    expect(fromOther.metadata[TICK_METADATA.origin]).toBe("trigger");
    const after = await s.getSchedule("hourly");
    expect(after?.occurrences).toBe(before?.occurrences);
    expect(after?.lastRunAt).toEqual(before?.lastRunAt);
    expect(before?.nextRunAt?.toISOString()).toBe(iso("2030-01-01T01:00:00Z"));
    await s.resumeSchedule("hourly");
    expect((await s.getSchedule("hourly"))?.nextRunAt?.toISOString()).toBe(iso("2030-01-01T01:00:00Z"));
    expect((await jobsOf(s, "hourly")).map((j) => j.id).sort()).toEqual([job.id, fromOther.id].sort());
    await expect(other.triggerSchedule("missing")).rejects.toMatchObject({ code: "SCHEDULE_NOT_FOUND" });
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/**
 * `previewSchedule` lists the planned runs from the stored state, honouring `startAt` and `until`;
 * `backfillSchedule` enqueues one job per planned run in `[from, to)`, each naming its run time,
 * and changes nothing of the schedule's state; bad arguments store nothing.
 */
export async function previewBackfillScenario(store: Store): Promise<void> {
  const clock = createTestClock(new Date(START));
  const s = schedulerOn(store, clock);
  await s.schedule("bounded", "0 3 * * *", () => {}, {
    startAt: new Date("2030-01-03T00:00:00Z"),
    until: new Date("2030-01-06T03:00:00Z"),
  });
  expect((await s.previewSchedule("bounded", 10)).map((d) => d.toISOString())).toEqual([
    iso("2030-01-03T03:00:00Z"),
    iso("2030-01-04T03:00:00Z"),
    iso("2030-01-05T03:00:00Z"),
    iso("2030-01-06T03:00:00Z"),
  ]);
  expect((await s.previewSchedule("bounded", 2)).map((d) => d.toISOString())).toEqual([
    iso("2030-01-03T03:00:00Z"),
    iso("2030-01-04T03:00:00Z"),
  ]);
  for (const bad of [0, 1001, 1.5, Number.NaN]) {
    await expect(s.previewSchedule("bounded", bad)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "count",
    });
  }

  await s.schedule("hourly", "0 * * * *", () => {}, { payload: { report: true } });
  // Five hours pass (no instance runs): 01:00 to 05:00 were planned.
  await clock.set(new Date("2030-01-01T05:30:00Z"));
  const jobs = await s.backfillSchedule("hourly", {
    from: new Date("2030-01-01T00:30:00Z"),
    to: new Date("2030-01-01T04:00:00Z"),
  });
  const runs = [iso("2030-01-01T01:00:00Z"), iso("2030-01-01T02:00:00Z"), iso("2030-01-01T03:00:00Z")];
  expect(jobs.map((job) => job.scheduledAt.toISOString())).toEqual(runs);
  expect(jobs.map((job) => job.metadata[TICK_METADATA.tick])).toEqual(runs);
  expect(
    jobs.every((job) => job.metadata[TICK_METADATA.origin] === "backfill" && job.status === "pending"),
  ).toBe(true);
  expect(jobs.every((job) => (job.payload as { report: boolean }).report === true)).toBe(true);
  expect((await jobsOf(s, "hourly")).map((job) => job.tick)).toEqual(runs);
  expect(await s.getSchedule("hourly")).toMatchObject({ occurrences: 0, lastRunAt: null });

  const to = new Date("2030-01-01T05:00:00Z");
  await expect(s.backfillSchedule("hourly", { from: to, to })).rejects.toMatchObject({ field: "range.to" });
  await expect(
    s.backfillSchedule("hourly", { from: new Date(START), to: new Date("2030-01-01T06:00:00Z") }),
  ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "range.to" });
  await s.schedule("minutely", "* * * * *", () => {});
  await clock.set(new Date("2030-01-09T00:00:00Z"));
  // 7 days of minutes: 10,080 runs, over the limit of 10,000.
  await expect(
    s.backfillSchedule("minutely", { from: new Date(START), to: new Date("2030-01-08T00:00:00Z") }),
  ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "range" });
  expect(await jobsOf(s, "minutely")).toHaveLength(0);
  await expect(s.backfillSchedule("missing", { from: new Date(START), to })).rejects.toMatchObject({
    code: "SCHEDULE_NOT_FOUND",
  });
  await s.stop({ timeout: 0 });
}

/**
 * `startAt` holds back every tick before it, and `jitter` delays each tick's job by the offset
 * `tickJitter(name, tick, jitter)`, the same on every instance; the job's `sched.tick` stays the tick.
 */
export async function jitterStartAtScenario(store: Store): Promise<void> {
  const clock = createTestClock(new Date(START));
  const s = schedulerOn(store, clock, { pollInterval: "1h" });
  try {
    await s.schedule("spread", "0 * * * *", () => {}, {
      jitter: "10m",
      startAt: new Date("2030-01-01T03:00:00Z"),
    });
    expect((await s.getSchedule("spread"))?.nextRunAt?.toISOString()).toBe(iso("2030-01-01T03:00:00Z"));
    await s.start();
    await advanceTo(clock, "2030-01-01T03:00:00.000Z");
    await until(async () => (await jobsOf(s, "spread")).length === 1, "the tick at 03:00");
    const [job] = await jobsOf(s, "spread");
    const tick = Date.parse("2030-01-01T03:00:00Z");
    const offset = tickJitter("spread", tick, 600_000);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(600_000);
    expect(job?.tick).toBe(iso("2030-01-01T03:00:00Z"));
    expect(job?.scheduledAt.getTime()).toBe(tick + offset);
    expect((await s.getSchedule("spread"))?.definition).toMatchObject({ jitter: 600_000, startAt: tick });
  } finally {
    await s.stop({ timeout: 0 });
  }
}

/** A handler whose runs wait until the test releases them (or their signal aborts). */
function heldRuns() {
  const started: Job[] = [];
  const releases = new Map<string, () => void>();
  const aborted: string[] = [];
  const handler = (job: Job, ctx: JobContext) =>
    new Promise<void>((resolve, reject) => {
      started.push(job);
      releases.set(job.id, resolve);
      ctx.signal.addEventListener(
        "abort",
        () => {
          aborted.push(job.id);
          reject(ctx.signal.reason);
        },
        { once: true },
      );
    });
  const release = (id: string | undefined) => releases.get(id ?? "")?.();
  return { started, aborted, handler, release };
}

/**
 * The overlap policy of a schedule every minute whose job at 00:01 is still running when the
 * ticks at 00:02 and 00:03 fire:
 *
 * - `allow`: each tick's job runs beside it;
 * - `skip`: those ticks make no job; the tick at 00:04, once it finished, runs again;
 * - `bufferOne`: the tick at 00:02 is kept (00:03 makes nothing) and its job runs once the first
 *   one finished;
 * - `cancelOther`: the tick at 00:02 cancels the running job (its signal aborts) and runs its own,
 *   which the tick at 00:03 cancels in turn.
 */
export async function overlapScenario(store: Store, overlap: OverlapPolicy): Promise<void> {
  const clock = createTestClock(new Date(START));
  const s = schedulerOn(store, clock);
  const runs = heldRuns();
  const ticks = async () => (await jobsOf(s, "overlapping")).map((job) => job.tick);
  const lastRunAfter = (at: string) => async () =>
    ((await s.getSchedule("overlapping"))?.lastRunAt?.getTime() ?? 0) >= Date.parse(at);
  try {
    await s.schedule("overlapping", "* * * * *", runs.handler, { overlap });
    await s.start();
    const minute = (m: number) => iso(`2030-01-01T00:0${m}:00Z`);
    await advanceTo(clock, minute(1));
    await until(() => runs.started.length === 1, "the job of 00:01 to start");
    const first = runs.started[0] as Job;
    await advanceTo(clock, minute(2));
    await until(lastRunAfter(minute(2)), "the tick of 00:02");
    if (overlap === "bufferOne") {
      await until(
        async () => (await s.getSchedule("overlapping"))?.definition.buffered === Date.parse(minute(2)),
        "the tick of 00:02 to be buffered",
      );
    }
    if (overlap === "cancelOther") {
      // The job of 00:02 must have started before 00:03 comes: a slow claim would otherwise leave
      // it waiting, and the tick of 00:03 cancel it before it ran (which is right, but another case).
      await until(() => runs.started.length === 2, "the job of 00:02 to start");
    }
    await advanceTo(clock, minute(3));
    await until(lastRunAfter(minute(3)), "the tick of 00:03");
    switch (overlap) {
      case "allow": {
        await until(() => runs.started.length === 3, "three runs side by side");
        expect(await ticks()).toEqual([minute(1), minute(2), minute(3)]);
        break;
      }
      case "skip": {
        await settle();
        expect(await ticks()).toEqual([minute(1)]);
        runs.release(first.id);
        await until(
          async () => (await s.getJob(first.id))?.status === "completed",
          "the first job to complete",
        );
        await advanceTo(clock, minute(4));
        await until(() => runs.started.length === 2, "the job of 00:04");
        expect(await ticks()).toEqual([minute(1), minute(4)]);
        expect((await s.getSchedule("overlapping"))?.occurrences).toBe(2);
        break;
      }
      case "bufferOne": {
        await settle();
        expect(await ticks()).toEqual([minute(1)]);
        expect((await s.getSchedule("overlapping"))?.definition.buffered).toBe(Date.parse(minute(2)));
        runs.release(first.id);
        await until(
          async () => (await s.getJob(first.id))?.status === "completed",
          "the first job to complete",
        );
        // The runner looks at the buffered tick on each pass, every pollInterval (10 s).
        for (const second of ["10", "20", "30", "40", "50"]) {
          await advanceTo(clock, `2030-01-01T00:03:${second}.000Z`);
          const started = await waitFor(() => runs.started.length === 2 || undefined, {
            timeout: "1s",
          }).catch(() => false);
          if (started) break;
        }
        expect(runs.started).toHaveLength(2);
        expect(await ticks()).toEqual([minute(1), minute(2)]);
        // The released tick counts in occurrences as a fired one does (maxOccurrences ends on it).
        expect(await s.getSchedule("overlapping")).toMatchObject({
          definition: { buffered: null },
          occurrences: 2,
        });
        break;
      }
      case "cancelOther": {
        await until(
          () => runs.started.length === 3 && runs.aborted.length === 2,
          "each newer run to cancel the one before",
        ).catch(async (err) => {
          const jobs = await jobsOf(s, "overlapping");
          const states = jobs.map((j) => [j.tick, j.status, j.attempt, j.lockedBy]);
          throw new Error(
            `${(err as Error).message}; started ${runs.started.length}, aborted ${runs.aborted.length}, jobs ${JSON.stringify(states)}`,
          );
        });
        const jobs = await jobsOf(s, "overlapping");
        expect(jobs.map((job) => job.tick)).toEqual([minute(1), minute(2), minute(3)]);
        expect(jobs.map((job) => job.status)).toEqual(["cancelled", "cancelled", "running"]);
        expect(runs.aborted).toEqual([first.id, jobs[1]?.id]);
        break;
      }
    }
  } finally {
    await s.stop({ timeout: 0 });
  }
}
