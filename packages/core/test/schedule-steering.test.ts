import { afterEach, describe, expect, it } from "vitest";
import { ScheduleNotFoundError } from "../src/errors.js";
import type { Scheduler } from "../src/scheduler.js";
import { tickJitter } from "../src/schedules/jitter.js";
import type { ScheduleDefinition } from "../src/store/store.js";
import { setup } from "./helpers.js";

const started: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop({ timeout: 0 })));
});

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("tickJitter", () => {
  it("is the same for the same schedule and tick, within [0, jitter), and 0 without jitter", () => {
    const tick = Date.parse("2030-01-01T03:00:00Z");
    const offsets = Array.from({ length: 200 }, (_, i) =>
      tickJitter("nightly", tick + i * 86_400_000, 30_000),
    );
    expect(offsets.every((o) => Number.isInteger(o) && o >= 0 && o < 30_000)).toBe(true);
    expect(tickJitter("nightly", tick, 30_000)).toBe(offsets[0]);
    // Spread over the window, not stuck on a few values.
    expect(new Set(offsets).size).toBeGreaterThan(190);
    expect(Math.min(...offsets)).toBeLessThan(3_000);
    expect(Math.max(...offsets)).toBeGreaterThan(27_000);
    expect(tickJitter("other", tick, 30_000)).not.toBe(offsets[0]);
    expect(tickJitter("nightly", tick, 0)).toBe(0);
  });
});

describe("steering options", () => {
  it("refuses a bad overlap, jitter or startAt, naming it, and stores nothing", async () => {
    const { s } = setup();
    const fn = () => {};
    await expect(s.schedule("a", "* * * * *", fn, { overlap: "queue" as never })).rejects.toMatchObject({
      code: "INVALID_SCHEDULE",
      message: expect.stringMatching(
        /^overlap must be "allow", "skip", "bufferOne", "cancelOther", got "queue"/,
      ),
    });
    await expect(s.schedule("a", "* * * * *", fn, { jitter: "soon" as never })).rejects.toMatchObject({
      code: "INVALID_SCHEDULE",
      message: expect.stringMatching(/^jitter: /),
    });
    await expect(s.schedule("a", "* * * * *", fn, { jitter: -1 })).rejects.toMatchObject({
      code: "INVALID_SCHEDULE",
    });
    await expect(s.schedule("a", "* * * * *", fn, { jitter: "25h" })).rejects.toThrow(
      /jitter must be at most 24h/,
    );
    await expect(s.schedule("a", "* * * * *", fn, { startAt: new Date("nope") })).rejects.toThrow(
      /^startAt must be a valid Date/,
    );
    await expect(
      s.schedule("a", "* * * * *", fn, {
        startAt: new Date("2030-02-01T00:00:00Z"),
        until: new Date("2030-01-15T00:00:00Z"),
      }),
    ).rejects.toThrow(/startAt .* is after until/);
    await expect(
      s.at(new Date("2030-01-02T00:00:00Z")).do("once", fn, { startAt: new Date("2030-01-03T00:00:00Z") }),
    ).rejects.toThrow(/after the one-time run/);
    expect(await s.listSchedules()).toEqual([]);
  });

  it("the options go on the fluent builders; an interval with startAt runs at startAt and every interval after", async () => {
    const { s } = setup();
    const record = await s
      .every(15)
      .minutes()
      .do("sync", () => {}, { startAt: new Date("2030-01-01T01:00:00Z"), overlap: "skip", jitter: "1m" });
    expect(record.nextRunAt?.toISOString()).toBe("2030-01-01T01:00:00.000Z");
    expect(iso(await s.previewSchedule("sync", 3))).toEqual([
      "2030-01-01T01:00:00.000Z",
      "2030-01-01T01:15:00.000Z",
      "2030-01-01T01:30:00.000Z",
    ]);
    expect((await s.getSchedule("sync"))?.definition).toMatchObject({
      overlap: "skip",
      jitter: 60_000,
      startAt: Date.parse("2030-01-01T01:00:00Z"),
      paused: false,
    });
  });
});

describe("stored state", () => {
  it("a definition stored before the steering fields existed is the same definition: its state is kept", async () => {
    const { s, store } = setup();
    const legacy: ScheduleDefinition = {
      kind: "cron",
      expression: "0 * * * *",
      timezone: "UTC",
      misfire: "once",
      maxOccurrences: null,
      until: null,
      job: {
        queue: "default",
        priority: 0,
        maxRetries: 2,
        timeout: 300_000,
        payload: null,
        metadata: {},
        uniqueKey: null,
      },
    };
    const at = new Date("2029-12-31T00:00:00Z");
    await store.saveSchedule({
      name: "legacy",
      definition: legacy,
      nextRunAt: new Date("2030-01-01T01:00:00Z"),
      lastRunAt: new Date("2030-01-01T00:00:00Z"),
      occurrences: 24,
      createdAt: at,
      updatedAt: at,
      definedAt: at,
      definedBy: null,
    });
    const record = await s.schedule("legacy", "0 * * * *", () => {});
    expect(record.occurrences).toBe(24);
    expect((await s.getSchedule("legacy"))?.paused).toBe(false);
  });

  it("a changed definition keeps the paused state, also written by the same instance in the same ms", async () => {
    const { s } = setup();
    await s.schedule("r", "0 1 * * *", () => {});
    await s.pauseSchedule("r");
    const changed = await s.schedule("r", "0 2 * * *", () => {});
    expect(changed.definition.expression).toBe("0 2 * * *");
    expect(changed.nextRunAt).toBeNull();
    expect(await s.getSchedule("r")).toMatchObject({ paused: true, nextRunAt: null });
    // Resuming plans from the new definition.
    expect((await s.resumeSchedule("r")).nextRunAt?.toISOString()).toBe("2030-01-01T02:00:00.000Z");
  });

  it("pause and resume are idempotent and advance the definition stamp by 1 ms each", async () => {
    const { s } = setup();
    const defined = await s.schedule("p", "0 * * * *", () => {});
    const paused = await s.pauseSchedule("p");
    expect(paused.definedAt.getTime()).toBe(defined.definedAt.getTime() + 1);
    expect((await s.pauseSchedule("p")).definedAt.getTime()).toBe(paused.definedAt.getTime());
    const resumed = await s.resumeSchedule("p");
    expect(resumed.definedAt.getTime()).toBe(defined.definedAt.getTime() + 2);
    expect((await s.resumeSchedule("p")).definedAt.getTime()).toBe(resumed.definedAt.getTime());
  });
});

describe("preview", () => {
  it("honours maxOccurrences against the occurrences so far, and a paused schedule previews as if resumed now", async () => {
    const { s, clock } = setup({ pollInterval: "1h" });
    started.push(s);
    await s.schedule("few", "0 * * * *", () => {}, { maxOccurrences: 3 });
    expect(iso(await s.previewSchedule("few", 10))).toEqual([
      "2030-01-01T01:00:00.000Z",
      "2030-01-01T02:00:00.000Z",
      "2030-01-01T03:00:00.000Z",
    ]);
    await s.start();
    await clock.advance("1h");
    await expect.poll(async () => (await s.getSchedule("few"))?.occurrences).toBe(1);
    expect(iso(await s.previewSchedule("few", 10))).toEqual([
      "2030-01-01T02:00:00.000Z",
      "2030-01-01T03:00:00.000Z",
    ]);
    await s.pauseSchedule("few");
    await clock.advance("90m");
    // Resumed at 02:30, it would run at 03:00 and 04:00 (its two runs left): 02:00 fell during the pause.
    expect(iso(await s.previewSchedule("few", 10))).toEqual([
      "2030-01-01T03:00:00.000Z",
      "2030-01-01T04:00:00.000Z",
    ]);
  });

  it("a schedule that ended stays ended when resumed", async () => {
    const { s, clock } = setup({ pollInterval: "1h" });
    started.push(s);
    await s.schedule("two", "0 * * * *", () => {}, { maxOccurrences: 2 });
    await s.start();
    await clock.advance("1h");
    await clock.advance("1h");
    await expect.poll(async () => (await s.getSchedule("two"))?.occurrences).toBe(2);
    await s.pauseSchedule("two");
    expect((await s.resumeSchedule("two")).nextRunAt).toBeNull();
    expect(await s.previewSchedule("two", 5)).toEqual([]);
  });
});

describe("unknown schedules and stopped schedulers", () => {
  it("every steering method names the missing schedule with ScheduleNotFoundError", async () => {
    const { s } = setup();
    const calls = [
      () => s.pauseSchedule("nope"),
      () => s.resumeSchedule("nope"),
      () => s.triggerSchedule("nope"),
      () => s.previewSchedule("nope", 1),
      () => s.backfillSchedule("nope", { from: new Date(0), to: new Date(1) }),
    ];
    for (const call of calls) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScheduleNotFoundError);
      expect(err).toMatchObject({ code: "SCHEDULE_NOT_FOUND", scheduleName: "nope" });
    }
    expect(await s.getSchedule("nope")).toBeNull();
  });

  it("trigger and backfill refuse with SHUTTING_DOWN once the scheduler stopped, enqueuing nothing", async () => {
    const { s, store } = setup();
    await s.schedule("late", "0 * * * *", () => {});
    await s.start();
    await s.stop({ timeout: 0 });
    await expect(s.triggerSchedule("late")).rejects.toMatchObject({ code: "SHUTTING_DOWN" });
    expect((await store.listJobs({})).jobs).toEqual([]);
  });
});

describe("bufferOne and maxOccurrences", () => {
  it("ends after maxOccurrences runs, counting each released tick in occurrences", async () => {
    const { s, clock } = setup();
    started.push(s);
    const ran: string[] = [];
    // Every minute, each run 2.5 minutes: ticks keep arriving while a run is in progress.
    await s.schedule(
      "b",
      "* * * * *",
      (job) =>
        new Promise<void>((resolve) => {
          ran.push(String(job.metadata["sched.tick"]).slice(11, 16));
          clock.setTimeout(resolve, 150_000);
        }),
      { overlap: "bufferOne", maxOccurrences: 3 },
    );
    await s.start();
    for (let minute = 0; minute < 30; minute++) await clock.advance("1m");
    const jobs = (await s.listJobs({ name: "b", limit: 100 })).jobs;
    expect(jobs.map((job) => job.status)).toEqual(["completed", "completed", "completed"]);
    expect(ran).toHaveLength(3);
    expect(await s.getSchedule("b")).toMatchObject({ occurrences: 3, nextRunAt: null });
  });
});
