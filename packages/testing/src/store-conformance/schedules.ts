import type { NewJobRecord, ScheduleTick } from "@sched/core";
import { describe, expect, it } from "vitest";
import { at, mustGet, newJob, newSchedule, type StoreSuiteContext } from "./fixtures.js";

/** A tick of `name` expected at `T0 + 1 min`, moving to `T0 + 2 min`, with one job. */
function tickOf(name: string, overrides: Partial<ScheduleTick> = {}): ScheduleTick {
  return {
    name,
    expectedNextRunAt: at(60_000),
    nextRunAt: at(120_000),
    firedAt: at(60_003),
    jobs: [tickJob(name)],
    ...overrides,
  };
}

function tickJob(name: string, overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  return newJob({ name, scheduledAt: at(60_000), createdAt: at(60_003), ...overrides });
}

/** Persisted schedules and the compare-and-set that fires a tick exactly once (docs/architecture.md §4). */
export function describeSchedules(ctx: StoreSuiteContext): void {
  describe("schedules", () => {
    it("saveSchedule stores a schedule that getSchedule returns intact", async () => {
      const schedule = newSchedule("report", {
        lastRunAt: at(-59_999),
        occurrences: 7,
        definition: {
          kind: "daily",
          expression: "09:30",
          every: 2,
          anchor: at(-86_400_000).getTime(),
          timezone: "America/New_York",
          misfire: "all",
          maxOccurrences: 100,
          until: at(86_400_000 * 365).getTime(),
          job: {
            queue: "reports",
            priority: -2,
            maxRetries: 0,
            timeout: 0,
            payload: {
              title: "Bericht — 報告 📈",
              sections: [{ rows: [1, 2.5, null] }, { nested: { ok: true } }],
            },
            metadata: { tenant: "t-ä" },
            uniqueKey: "report:daily",
          },
        },
      });
      await ctx.store.saveSchedule(schedule);
      expect(await ctx.store.getSchedule("report")).toEqual(schedule);
    });

    it("getSchedule returns null for an unknown name", async () => {
      expect(await ctx.store.getSchedule("nope")).toBeNull();
    });

    it("saveSchedule with onlyIfAbsent creates a missing schedule and leaves an existing one untouched", async () => {
      expect(await ctx.store.saveSchedule(newSchedule("once"), { onlyIfAbsent: true })).toBe(true);
      const other = { ...newSchedule("once"), occurrences: 42 };
      expect(await ctx.store.saveSchedule(other, { onlyIfAbsent: true })).toBe(false);
      expect((await ctx.store.getSchedule("once"))?.occurrences).toBe(0);
      expect(await ctx.store.saveSchedule(other)).toBe(true);
      expect((await ctx.store.getSchedule("once"))?.occurrences).toBe(42);
    });

    it("of concurrent onlyIfAbsent creators of one schedule exactly one succeeds", async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          ctx.store.saveSchedule({ ...newSchedule("race"), occurrences: i }, { onlyIfAbsent: true }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await ctx.store.getSchedule("race"))?.occurrences).toBe(winner);
    });

    it("saveSchedule with expectDefinition writes only over the definition it names (compare-and-set)", async () => {
      const { store } = ctx;
      const first = newSchedule("cas", { definedAt: at(10), definedBy: "a" });
      const second = newSchedule("cas", { definedAt: at(20), definedBy: "b", occurrences: 2 });
      const expectFirst = { definedAt: at(10), definedBy: "a" };
      expect(await store.saveSchedule(second, { expectDefinition: expectFirst })).toBe(false);
      expect(await store.getSchedule("cas")).toBeNull();
      await store.saveSchedule(first);
      expect(
        await store.saveSchedule(second, { expectDefinition: { definedAt: at(10), definedBy: "x" } }),
      ).toBe(false);
      expect(
        await store.saveSchedule(second, { expectDefinition: { definedAt: at(11), definedBy: "a" } }),
      ).toBe(false);
      expect(await store.getSchedule("cas")).toEqual(first);
      expect(await store.saveSchedule(second, { expectDefinition: expectFirst })).toBe(true);
      expect(await store.getSchedule("cas")).toEqual(second);
      // A null definedBy is a value like any other.
      const anonymous = newSchedule("cas", { definedAt: at(30), definedBy: null });
      expect(
        await store.saveSchedule(anonymous, { expectDefinition: { definedAt: at(20), definedBy: "b" } }),
      ).toBe(true);
      const third = newSchedule("cas", { definedAt: at(40), definedBy: "c" });
      expect(
        await store.saveSchedule(third, { expectDefinition: { definedAt: at(30), definedBy: null } }),
      ).toBe(true);
      expect((await store.getSchedule("cas"))?.definedBy).toBe("c");
    });

    it("saveSchedule with expectDefinition and expectNextRunAt writes only while the next run is that too", async () => {
      const { store } = ctx;
      const stamp = { definedAt: at(10), definedBy: "a" };
      await store.saveSchedule(newSchedule("next", { ...stamp, nextRunAt: at(60_000) }));
      // A leader fired the tick of 60 s since the writer read the schedule: the write must fail.
      const fired = await store.fireScheduleTick(tickOf("next"));
      expect(fired.fired).toBe(true);
      const stale = newSchedule("next", { definedAt: at(20), definedBy: "b", nextRunAt: at(60_000) });
      expect(await store.saveSchedule(stale, { expectDefinition: stamp, expectNextRunAt: at(60_000) })).toBe(
        false,
      );
      expect((await store.getSchedule("next"))?.nextRunAt).toEqual(at(120_000));
      const fresh = newSchedule("next", { definedAt: at(20), definedBy: "b", nextRunAt: at(120_000) });
      expect(await store.saveSchedule(fresh, { expectDefinition: stamp, expectNextRunAt: at(120_000) })).toBe(
        true,
      );
      expect(await store.getSchedule("next")).toEqual(fresh);
      // A null next run (ended or paused) is a value like any other.
      const ended = newSchedule("ended", { ...stamp, nextRunAt: null });
      await store.saveSchedule(ended);
      const later = newSchedule("ended", { definedAt: at(30), definedBy: "c", nextRunAt: at(5_000) });
      expect(await store.saveSchedule(later, { expectDefinition: stamp, expectNextRunAt: at(1) })).toBe(
        false,
      );
      expect(await store.saveSchedule(later, { expectDefinition: stamp, expectNextRunAt: null })).toBe(true);
      expect((await store.getSchedule("ended"))?.nextRunAt).toEqual(at(5_000));
    });

    it("of concurrent writers over the same definition exactly one succeeds", async () => {
      const { store } = ctx;
      await store.saveSchedule(newSchedule("race", { definedAt: at(10), definedBy: "a" }));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.saveSchedule(newSchedule("race", { definedAt: at(20 + i), definedBy: `w${i}` }), {
            expectDefinition: { definedAt: at(10), definedBy: "a" },
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getSchedule("race"))?.definedBy).toBe(`w${results.indexOf(true)}`);
    });

    it("saveSchedule replaces the schedule with the same name", async () => {
      await ctx.store.saveSchedule(newSchedule("sync"));
      const { expression: _cron, ...definition } = newSchedule("sync").definition;
      const replacement = newSchedule("sync", {
        nextRunAt: null,
        lastRunAt: at(5),
        occurrences: 3,
        updatedAt: at(5),
        definition: { ...definition, kind: "interval", every: 5_000, anchor: at(0).getTime() },
      });
      await ctx.store.saveSchedule(replacement);
      expect(await ctx.store.getSchedule("sync")).toEqual(replacement);
      expect(await ctx.store.listSchedules()).toHaveLength(1);
    });

    it("listSchedules returns every schedule ordered by name", async () => {
      for (const name of ["gamma", "alpha2", "beta", "alpha"])
        await ctx.store.saveSchedule(newSchedule(name));
      const listed = await ctx.store.listSchedules();
      expect(listed.map((schedule) => schedule.name)).toEqual(["alpha", "alpha2", "beta", "gamma"]);
      expect(listed[0]).toEqual(newSchedule("alpha"));
    });

    it("deleteSchedule removes a schedule and reports whether it existed", async () => {
      await ctx.store.saveSchedule(newSchedule("a"));
      await ctx.store.saveSchedule(newSchedule("b"));
      expect(await ctx.store.deleteSchedule("a")).toBe(true);
      expect(await ctx.store.deleteSchedule("a")).toBe(false);
      expect(await ctx.store.getSchedule("a")).toBeNull();
      expect((await ctx.store.listSchedules()).map((schedule) => schedule.name)).toEqual(["b"]);
    });
  });

  describe("fireScheduleTick", () => {
    it("a tick with the wrong expectedNextRunAt fires nothing and inserts nothing", async () => {
      const schedule = newSchedule("s");
      await ctx.store.saveSchedule(schedule);
      const tick = tickOf("s", { expectedNextRunAt: at(59_999) });
      expect(await ctx.store.fireScheduleTick(tick)).toEqual({ fired: false, jobs: [] });
      expect(await ctx.store.getSchedule("s")).toEqual(schedule);
      expect(await ctx.store.getJob(tick.jobs[0]!.id)).toBeNull();
    });

    it("a tick with the stored nextRunAt fires, advances the schedule and inserts its jobs", async () => {
      const schedule = newSchedule("s", { occurrences: 4 });
      await ctx.store.saveSchedule(schedule);
      const jobs = [
        tickJob("s", { payload: { n: 1 } }),
        tickJob("s", { payload: { n: 2 }, uniqueKey: "s:2" }),
      ];
      const result = await ctx.store.fireScheduleTick(tickOf("s", { jobs }));
      expect(result.fired).toBe(true);
      expect(result.jobs.map((job) => job.id)).toEqual(jobs.map((job) => job.id));
      for (const job of result.jobs) expect(await mustGet(ctx.store, job.id)).toEqual(job);
      expect(result.jobs[1]).toMatchObject({
        status: "pending",
        payload: { n: 2 },
        uniqueKey: "s:2",
        attempt: 0,
      });
      expect(await ctx.store.getSchedule("s")).toMatchObject({
        name: "s",
        definition: schedule.definition,
        nextRunAt: at(120_000),
        lastRunAt: at(60_003),
        occurrences: 6,
        createdAt: schedule.createdAt,
      });
    });

    it("a tick with expectedDefinition fires only while the stored definition carries that stamp", async () => {
      // The firer read the schedule defined by instance-a at 0; instance-b then replaced it with
      // the same timing (the same nextRunAt) and a new template: the tick made from the old one
      // must not fire.
      const read = newSchedule("s", { definedAt: at(0), definedBy: "instance-a" });
      await ctx.store.saveSchedule(read);
      const replaced = newSchedule("s", {
        definedAt: at(5),
        definedBy: "instance-b",
        definition: { ...read.definition, job: { ...read.definition.job, payload: { v: 2 } } },
      });
      await ctx.store.saveSchedule(replaced);
      const stale = tickOf("s", { expectedDefinition: { definedAt: at(0), definedBy: "instance-a" } });
      expect(await ctx.store.fireScheduleTick(stale)).toEqual({ fired: false, jobs: [] });
      expect(await ctx.store.getJob(stale.jobs[0]!.id)).toBeNull();
      expect(await ctx.store.getSchedule("s")).toEqual(replaced);
      // The same stamp by another instance, or a null one, is another definition too.
      for (const definedBy of ["instance-a", null]) {
        const other = tickOf("s", { expectedDefinition: { definedAt: at(5), definedBy } });
        expect((await ctx.store.fireScheduleTick(other)).fired, String(definedBy)).toBe(false);
      }
      const fresh = tickOf("s", { expectedDefinition: { definedAt: at(5), definedBy: "instance-b" } });
      expect((await ctx.store.fireScheduleTick(fresh)).fired).toBe(true);
      expect(await mustGet(ctx.store, fresh.jobs[0]!.id)).toMatchObject({ status: "pending" });
    });

    it("a tick with expectedDefinition fires a schedule defined by no one when the stamp's definedBy is null", async () => {
      await ctx.store.saveSchedule(newSchedule("s", { definedAt: at(7), definedBy: null }));
      const tick = tickOf("s", { expectedDefinition: { definedAt: at(7), definedBy: null } });
      expect((await ctx.store.fireScheduleTick(tick)).fired).toBe(true);
    });

    it("a tick that already fired does not fire again", async () => {
      await ctx.store.saveSchedule(newSchedule("s"));
      expect((await ctx.store.fireScheduleTick(tickOf("s"))).fired).toBe(true);
      const replay = tickOf("s");
      expect(await ctx.store.fireScheduleTick(replay)).toEqual({ fired: false, jobs: [] });
      expect(await ctx.store.getJob(replay.jobs[0]!.id)).toBeNull();
      expect((await ctx.store.getSchedule("s"))?.occurrences).toBe(1);
    });

    it("a tick of an unknown schedule fires nothing", async () => {
      const tick = tickOf("missing");
      expect(await ctx.store.fireScheduleTick(tick)).toEqual({ fired: false, jobs: [] });
      expect(await ctx.store.getJob(tick.jobs[0]!.id)).toBeNull();
    });

    it("a tick with a null nextRunAt ends the schedule, after which no tick fires", async () => {
      await ctx.store.saveSchedule(newSchedule("s"));
      expect((await ctx.store.fireScheduleTick(tickOf("s", { nextRunAt: null }))).fired).toBe(true);
      expect((await ctx.store.getSchedule("s"))?.nextRunAt).toBeNull();
      const next = tickOf("s", { expectedNextRunAt: at(120_000), nextRunAt: at(180_000) });
      expect(await ctx.store.fireScheduleTick(next)).toEqual({ fired: false, jobs: [] });
    });

    it("a tick with no jobs still advances the schedule", async () => {
      await ctx.store.saveSchedule(newSchedule("s"));
      expect(await ctx.store.fireScheduleTick(tickOf("s", { jobs: [] }))).toEqual({ fired: true, jobs: [] });
      expect(await ctx.store.getSchedule("s")).toMatchObject({ nextRunAt: at(120_000), occurrences: 0 });
    });

    it("of 10 concurrent firers of the same tick exactly one wins and exactly one job is inserted", async () => {
      await ctx.store.saveSchedule(newSchedule("s"));
      const ticks = Array.from({ length: 10 }, () => tickOf("s"));
      const results = await Promise.all(ticks.map((tick) => ctx.store.fireScheduleTick(tick)));
      expect(results.filter((result) => result.fired)).toHaveLength(1);
      expect(results.filter((result) => !result.fired).every((result) => result.jobs.length === 0)).toBe(
        true,
      );
      expect((await ctx.store.listJobs({ limit: 1_000 })).jobs).toHaveLength(1);
      expect(await ctx.store.getSchedule("s")).toMatchObject({ nextRunAt: at(120_000), occurrences: 1 });
    });

    it("a tick job whose uniqueKey is held is skipped, and the tick still advances", async () => {
      await ctx.store.saveSchedule(newSchedule("s"));
      const [holder] = await ctx.store.createJobs([newJob({ uniqueKey: "s:run" })]);
      const held = tickJob("s", { uniqueKey: "s:run" });
      const free = tickJob("s", { uniqueKey: "s:other" });
      const result = await ctx.store.fireScheduleTick(tickOf("s", { jobs: [held, free] }));
      expect(result.fired).toBe(true);
      expect(result.jobs.map((job) => job.id)).toEqual([free.id]);
      expect(await ctx.store.getJob(held.id)).toBeNull();
      expect((await ctx.store.getJob(holder!.id))?.status).toBe("pending");
      // occurrences counts the tick's jobs (store.ts: "occurrences + jobs.length"), skipped or not.
      expect(await ctx.store.getSchedule("s")).toMatchObject({
        nextRunAt: at(120_000),
        lastRunAt: at(60_003),
        occurrences: 2,
      });
    });
  });
}
