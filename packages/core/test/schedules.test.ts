import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../src/jobs/job.js";
import { MemoryLeader, MemoryLeaderGroup, MemoryStore } from "../src/memory/index.js";
import { createScheduler, type Scheduler } from "../src/scheduler.js";
import { TICK_METADATA } from "../src/schedules/schedule-runner.js";
import { ManualClock } from "../src/time/manual-clock.js";
import { recordingLogger, setup, turns, until } from "./helpers.js";

const started: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop({ timeout: 0 })));
});

function track(s: Scheduler): Scheduler {
  started.push(s);
  return s;
}

async function ticksOf(s: Scheduler, name: string): Promise<string[]> {
  const jobs = (await s.listJobs({ name, limit: 10_000 })).jobs;
  return jobs.map((j) => j.scheduledAt.toISOString()).sort();
}

/**
 * Two instances `a` and `b` on `store`, electing a leader between them with a lease of `ttl` ms
 * (renewed every third of it); `a`, started first, leads.
 */
function leaderPair(clock: ManualClock, store: MemoryStore, ttl: number): [Scheduler, Scheduler] {
  const group = new MemoryLeaderGroup();
  const make = (id: string) =>
    track(
      createScheduler({
        clock,
        store,
        logger: recordingLogger(),
        leader: new MemoryLeader({ instanceId: id, group, clock, ttl }),
        distributed: { enabled: true, instanceId: id, lockTTL: ttl, lockRefresh: ttl / 3 },
      }),
    );
  return [make("a"), make("b")];
}

/** Long advances of the manual clock: few background timers to step through. */
const slow = {
  pollInterval: "1h",
  completedRetention: "30d",
  distributed: { lockTTL: "3h", lockRefresh: "1h" },
} as const;

describe("recurring schedules", () => {
  it("fires a 6-field cron on its seconds, each tick a job with the tick's time", async () => {
    const { s, clock } = setup();
    track(s);
    const seen: Job[] = [];
    await s.schedule("tick", "*/10 * * * * *", (job) => {
      seen.push(job);
    });
    await s.start();
    await clock.advance("30s");
    await until(() => seen.length === 3);
    expect(seen.map((j) => j.scheduledAt.toISOString())).toEqual([
      "2030-01-01T00:00:10.000Z",
      "2030-01-01T00:00:20.000Z",
      "2030-01-01T00:00:30.000Z",
    ]);
    expect(seen[0]?.metadata[TICK_METADATA.schedule]).toBe("tick");
    expect(seen[0]?.metadata[TICK_METADATA.tick]).toBe("2030-01-01T00:00:10.000Z");
  });

  it("a template's own sched.* metadata does not pass for the runtime's: tick jobs carry only theirs", async () => {
    const { s, clock } = setup();
    track(s);
    const seen: Job[] = [];
    await s.schedule("forged", "*/10 * * * * *", (job) => void seen.push(job), {
      metadata: { "sched.origin": "backfill", "sched.schedule": "other", team: "ops" },
    });
    await s.start();
    await clock.advance("10s");
    await until(() => seen.length === 1);
    expect(seen[0]?.metadata).toEqual({
      team: "ops",
      [TICK_METADATA.schedule]: "forged",
      [TICK_METADATA.tick]: "2030-01-01T00:00:10.000Z",
    });
  });

  it("runs a wall-clock daily schedule in its time zone", async () => {
    const { s, clock } = setup(slow);
    track(s);
    await s
      .every(1)
      .day()
      .at("09:00")
      .do("morning", () => {}, { timezone: "America/New_York" });
    await s.start();
    await clock.advance("48h");
    await until(async () => (await ticksOf(s, "morning")).length === 2);
    // 09:00 EST is 14:00 UTC.
    expect(await ticksOf(s, "morning")).toEqual(["2030-01-01T14:00:00.000Z", "2030-01-02T14:00:00.000Z"]);
  });

  it("every(n).minutes() is a fixed real-time interval from its creation", async () => {
    const { s, clock } = setup();
    track(s);
    await s
      .every(5)
      .minutes()
      .do("health", () => {});
    await s.start();
    await clock.advance("16m");
    await until(async () => (await ticksOf(s, "health")).length === 3);
    expect(await ticksOf(s, "health")).toEqual([
      "2030-01-01T00:05:00.000Z",
      "2030-01-01T00:10:00.000Z",
      "2030-01-01T00:15:00.000Z",
    ]);
  });

  it("every(1).week().monday().at() fires on Mondays at that time", async () => {
    const { s, clock } = setup(slow);
    track(s);
    // 2030-01-01 is a Tuesday.
    await s
      .every(1)
      .week()
      .monday()
      .at("08:30")
      .do("weekly", () => {});
    await s.start();
    await clock.advance("14d");
    await until(async () => (await ticksOf(s, "weekly")).length === 2);
    expect(await ticksOf(s, "weekly")).toEqual(["2030-01-07T08:30:00.000Z", "2030-01-14T08:30:00.000Z"]);
  });

  it("every(2).days().at() skips every other day", async () => {
    const { s, clock } = setup(slow);
    track(s);
    await s
      .every(2)
      .days()
      .at("06:00")
      .do("bidaily", () => {});
    await s.start();
    await clock.advance("5d");
    await until(async () => (await ticksOf(s, "bidaily")).length === 3);
    expect(await ticksOf(s, "bidaily")).toEqual([
      "2030-01-01T06:00:00.000Z",
      "2030-01-03T06:00:00.000Z",
      "2030-01-05T06:00:00.000Z",
    ]);
  });

  it("at(date) runs once and then ends", async () => {
    const { s, clock } = setup(slow);
    track(s);
    const when = new Date("2030-01-02T00:00:00.000Z");
    await s.at(when).do("birthday", () => {});
    await s.start();
    await clock.advance("3d");
    await until(async () => (await ticksOf(s, "birthday")).length === 1);
    expect(await ticksOf(s, "birthday")).toEqual([when.toISOString()]);
    const [record] = await s.listSchedules();
    expect(record?.nextRunAt).toBeNull();
    expect(record?.occurrences).toBe(1);
  });

  it("stops after maxOccurrences and after until", async () => {
    const { s, clock } = setup(slow);
    track(s);
    await s.schedule("twice", "* * * * *", () => {}, { maxOccurrences: 2 });
    await s.schedule("bounded", "* * * * *", () => {}, { until: new Date("2030-01-01T00:03:30.000Z") });
    await s.start();
    await clock.advance("10m");
    await until(async () => (await ticksOf(s, "bounded")).length === 3);
    await turns();
    expect(await ticksOf(s, "twice")).toHaveLength(2);
    expect(await ticksOf(s, "bounded")).toHaveLength(3);
    const records = await s.listSchedules();
    expect(records.map((r) => r.nextRunAt)).toEqual([null, null]);
  });

  it("unschedule stops a schedule", async () => {
    const { s, clock } = setup();
    track(s);
    await s.schedule("gone", "* * * * *", () => {});
    await s.start();
    expect(await s.unschedule("gone")).toBe(true);
    expect(await s.unschedule("gone")).toBe(false);
    await clock.advance("5m");
    expect(await ticksOf(s, "gone")).toEqual([]);
  });

  it("defining the same schedule again keeps its state; a changed one starts afresh", async () => {
    const { s, clock } = setup(slow);
    track(s);
    await s.schedule("r", "0 * * * *", () => {});
    await s.start();
    await clock.advance("61m");
    await until(async () => (await s.listSchedules())[0]?.occurrences === 1);
    const again = await s.schedule("r", "0 * * * *", () => {});
    expect(again.occurrences).toBe(1);
    expect(again.nextRunAt?.toISOString()).toBe("2030-01-01T02:00:00.000Z");
    const changed = await s.schedule("r", "30 * * * *", () => {});
    expect(changed.occurrences).toBe(0);
    expect(changed.nextRunAt?.toISOString()).toBe("2030-01-01T01:30:00.000Z");
  });
});

describe("misfire policy", () => {
  async function missed(policy: "skip" | "once" | "all") {
    const { s, clock, store } = setup();
    track(s);
    await s.schedule("m", "* * * * *", () => {}, { misfire: policy });
    // Ten minutes pass while no instance runs.
    await clock.advance("10m");
    await s.start();
    await turns(50);
    await until(async () => (await s.listSchedules())[0]!.nextRunAt!.getTime() > clock.now());
    const record = await store.getSchedule("m");
    return { ticks: await ticksOf(s, "m"), next: record?.nextRunAt?.toISOString() };
  }

  it("`once` fires one catch-up job for all missed ticks", async () => {
    const { ticks, next } = await missed("once");
    expect(ticks).toEqual(["2030-01-01T00:10:00.000Z"]);
    expect(next).toBe("2030-01-01T00:11:00.000Z");
  });

  it("`all` fires every missed tick", async () => {
    const { ticks } = await missed("all");
    expect(ticks).toHaveLength(10);
    expect(ticks[0]).toBe("2030-01-01T00:01:00.000Z");
  });

  it("with `until`, the catch-up is the latest missed tick before it, not none", async () => {
    for (const [policy, expected] of [
      ["once", ["2030-01-01T00:05:00.000Z"]],
      [
        "all",
        [
          "2030-01-01T00:01:00.000Z",
          "2030-01-01T00:02:00.000Z",
          "2030-01-01T00:03:00.000Z",
          "2030-01-01T00:04:00.000Z",
          "2030-01-01T00:05:00.000Z",
        ],
      ],
    ] as const) {
      const { s, clock, store } = setup();
      track(s);
      const name = `u-${policy}`;
      // Every minute until 00:05:30; ten minutes pass while no instance runs.
      await s.schedule(name, "* * * * *", () => {}, {
        misfire: policy,
        until: new Date("2030-01-01T00:05:30Z"),
      });
      await clock.advance("10m");
      await s.start();
      await until(async () => (await store.getSchedule(name))?.nextRunAt === null);
      await until(async () => (await ticksOf(s, name)).length === expected.length);
      await turns(50);
      expect(await ticksOf(s, name), policy).toEqual(expected);
    }
  });

  it("`once` after more missed ticks than misfireLimit: the catch-up is still the latest, by now and by until", async () => {
    for (const [untilAt, expected] of [
      [null, "2030-01-01T03:20:00.000Z"],
      ["2030-01-01T02:07:30Z", "2030-01-01T02:07:00.000Z"],
    ] as const) {
      // 200 ticks missed, 10 the most walked one by one: the catch-up is found from now.
      const { s, clock, store } = setup({ misfireLimit: 10 });
      track(s);
      await s.schedule("o", "* * * * *", () => {}, {
        misfire: "once",
        ...(untilAt === null ? {} : { until: new Date(untilAt) }),
      });
      await clock.advance("200m");
      await s.start();
      await until(async () => (await ticksOf(s, "o")).length === 1);
      await turns(50);
      expect(await ticksOf(s, "o"), String(untilAt)).toEqual([expected]);
      const next = (await store.getSchedule("o"))?.nextRunAt?.toISOString() ?? null;
      expect(next, String(untilAt)).toBe(untilAt === null ? "2030-01-01T03:21:00.000Z" : null);
    }
  });

  it("`once` with a second-level cron down for a day reads about one gap of ticks, not the day's", async () => {
    const { s, clock } = setup({ misfireLimit: 5 });
    track(s);
    await s.schedule("sec", "*/7 * * * * *", () => {}, { misfire: "once" });
    await clock.advance("1d");
    await s.start();
    await until(async () => (await ticksOf(s, "sec")).length === 1);
    // 2030-01-02T00:00:00 is a tick of */7 (seconds 0, 7, …, 56 of each minute).
    expect(await ticksOf(s, "sec")).toEqual(["2030-01-02T00:00:00.000Z"]);
  });

  it("`skip` fires none of the missed ticks and goes on with the next", async () => {
    const { ticks, next } = await missed("skip");
    expect(ticks).toEqual([]);
    expect(next).toBe("2030-01-01T00:11:00.000Z");
  });
});

describe("bad schedules", () => {
  it("rejects invalid cron, unknown zones, non-positive intervals and bad times, storing nothing", async () => {
    const { s } = setup();
    const fn = () => {};
    await expect(s.schedule("a", "61 * * * *", fn)).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
    await expect(s.schedule("a", "* * *", fn)).rejects.toMatchObject({ code: "INVALID_SCHEDULE" });
    await expect(s.schedule("a", "* * * * *", fn, { timezone: "Mars/Olympus" })).rejects.toThrow(
      /Mars\/Olympus/,
    );
    expect(() => s.every(0)).toThrow(/positive integer, got 0/);
    expect(() => s.every(-5)).toThrow(/positive integer/);
    expect(() => s.every(1.5)).toThrow(/positive integer/);
    expect(() => s.every(1).day().at("25:00")).toThrow(/HH:MM/);
    // A second weekday or time would silently replace the first: refused.
    expect(() => s.every(1).week().monday().friday()).toThrow(/already runs on mondays/);
    expect(() => s.every(1).day().at("09:00").at("17:00")).toThrow(/already runs at 09:00:00/);
    expect(() => s.every(1).week().monday().monday()).not.toThrow();
    expect(() => s.every(1).minutes().monday()).toThrow(/week/);
    expect(() => s.every(1).minutes().hours()).toThrow(/already has the unit/);
    await expect(s.every(1).minutes().at("09:00").do("a", fn)).rejects.toThrow(/at\(time\) needs/);
    await expect(s.every(1).do("a", fn)).rejects.toThrow(/needs a unit/);
    expect(() => s.at(new Date("nope"))).toThrow(/valid Date/);
    await expect(s.schedule("a", "* * * * *", fn, { maxOccurrences: 0 })).rejects.toThrow(/maxOccurrences/);
    await expect(s.schedule("bad name!", "* * * * *", fn)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await s.listSchedules()).toEqual([]);
  });

  it("refuses a schedule whose times fall outside the years 1 to 9999, the instants every store keeps", async () => {
    const { s } = setup();
    const fn = () => {};
    const far = new Date("+020000-01-01T00:00:00.000Z");
    const early = new Date("-000500-01-01T00:00:00.000Z");
    const refusals: [string, () => Promise<unknown>, RegExp][] = [
      ["at(year 20000)", () => s.at(far).do("r_at", fn), /first run \(\+020000-01-01/],
      [
        "startAt",
        () => s.schedule("r_start", "0 0 * * *", fn, { startAt: far }),
        /startAt .*years 1 to 9999/,
      ],
      ["until", () => s.schedule("r_until", "0 0 * * *", fn, { until: far }), /until .*years 1 to 9999/],
      ["early startAt", () => s.schedule("r_early", "0 0 * * *", fn, { startAt: early }), /startAt/],
      ["every(1e10).minutes()", () => s.every(1e10).minutes().do("r_every", fn), /first run/],
      [
        "every(1e300).minutes()",
        () => s.every(1e300).minutes().do("r_huge", fn),
        /first run \(a time beyond any Date\)/,
      ],
    ];
    for (const [label, define, message] of refusals) {
      const err = await define().catch((e: unknown) => e);
      expect(err, label).toMatchObject({ code: "INVALID_SCHEDULE" });
      expect((err as Error).message, label).toMatch(message);
    }
    expect(await s.listSchedules()).toEqual([]);
    // A backfill range reaching before the year 1 is refused too.
    await s.every(1).hours().do("hourly", fn);
    await expect(s.backfillSchedule("hourly", { from: early, to: new Date(0) })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("an interval schedule whose next run would pass the year 9999 ends there", async () => {
    const clock = new ManualClock(new Date("9999-12-31T22:00:00.000Z"));
    const s = track(createScheduler({ clock, store: new MemoryStore(), ...slow }));
    const ran: string[] = [];
    await s
      .every(1)
      .hours()
      .do("last_hours", (job) => {
        ran.push(job.scheduledAt.toISOString());
      });
    await s.start();
    await clock.advance(3 * 3_600_000);
    await until(() => ran.length === 1);
    await turns(50);
    expect(ran).toEqual(["9999-12-31T23:00:00.000Z"]);
    expect((await s.getSchedule("last_hours"))?.nextRunAt).toBeNull();
  });
});

describe("several instances", () => {
  it("two instances that both believe they lead still fire each tick exactly once", async () => {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const store = new MemoryStore();
    const make = () => track(createScheduler({ clock, store, logger: recordingLogger() }));
    const a = make();
    const b = make();
    for (const s of [a, b]) await s.schedule("tick", "*/5 * * * * *", () => {});
    await Promise.all([a.start(), b.start()]);
    await clock.advance("60s");
    await until(async () => (await ticksOf(a, "tick")).length === 12);
    await turns();
    const ticks = await ticksOf(a, "tick");
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks).toHaveLength(12);
  });

  it("only the leader fires; when it stops, another instance takes over", async () => {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const [a, b] = leaderPair(clock, new MemoryStore(), 3_000);
    for (const s of [a, b]) await s.schedule("tick", "* * * * * *", () => {});
    await a.start();
    await b.start();
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    await clock.advance("5s");
    await a.stop();
    await clock.advance("2s");
    expect(b.isLeader).toBe(true);
    await clock.advance("5s");
    await until(async () => (await ticksOf(b, "tick")).length >= 11);
    const ticks = await ticksOf(b, "tick");
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(ticks[0]).toBe("2030-01-01T00:00:01.000Z");
  });
});

describe("a definition replaced while the leader fires", () => {
  /** A store that runs `beforeFire` (`beforeSave`) once, just before the next tick is fired (saved). */
  class InterruptedStore extends MemoryStore {
    beforeFire: (() => Promise<unknown>) | null = null;
    beforeSave: (() => Promise<unknown>) | null = null;
    override async fireScheduleTick(...args: Parameters<MemoryStore["fireScheduleTick"]>) {
      const hook = this.beforeFire;
      this.beforeFire = null;
      if (hook !== null) await hook();
      return super.fireScheduleTick(...args);
    }
    override async saveSchedule(...args: Parameters<MemoryStore["saveSchedule"]>) {
      const hook = this.beforeSave;
      this.beforeSave = null;
      if (hook !== null) await hook();
      return super.saveSchedule(...args);
    }
  }

  function pair() {
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const store = new InterruptedStore();
    const [a, b] = leaderPair(clock, store, 30_000);
    return { clock, store, a, b };
  }

  async function ticksWithPayload(s: Scheduler, name: string): Promise<string[]> {
    const jobs = (await s.listJobs({ name, limit: 1000 })).jobs;
    return jobs.map((job) => `${job.scheduledAt.toISOString()} ${JSON.stringify(job.payload)}`).sort();
  }

  it("the tick due fires once, with the stored definition's template, not the one the leader read", async () => {
    const { clock, store, a, b } = pair();
    await a.schedule("report", "* * * * * *", () => {}, { payload: { v: 0 } });
    await a.start();
    expect(a.isLeader).toBe(true);
    // Another instance redefines it (same timing, new payload) after the leader read it for the
    // tick of 00:00:01 and before that tick is stored.
    store.beforeFire = () => b.schedule("report", "* * * * * *", () => {}, { payload: { v: 1 } });
    await clock.advance("1s");
    await until(async () => (await ticksWithPayload(a, "report")).length >= 1);
    await clock.advance("2s");
    await until(async () => (await ticksWithPayload(a, "report")).length >= 3);
    expect(await ticksWithPayload(a, "report")).toEqual([
      '2030-01-01T00:00:01.000Z {"v":1}',
      '2030-01-01T00:00:02.000Z {"v":1}',
      '2030-01-01T00:00:03.000Z {"v":1}',
    ]);
  });

  it("a redefinition that read the schedule before the leader fired its tick does not put the tick back", async () => {
    const { clock, store, a, b } = pair();
    await a.schedule("report", "*/10 * * * * *", () => {}, { payload: { v: 1 } });
    await a.start();
    await clock.advance("9500ms");
    // b reads the schedule (next run 00:00:10, not yet due); the leader fires that tick before b's
    // write lands. b's write, which keeps the next run it read, must fail and be made again.
    store.beforeSave = async () => {
      await clock.advance("1s");
      await until(async () => (await ticksWithPayload(a, "report")).length === 1);
    };
    await b.schedule("report", "*/10 * * * * *", () => {}, { payload: { v: 2 } });
    expect((await a.getSchedule("report"))?.nextRunAt?.toISOString()).toBe("2030-01-01T00:00:20.000Z");
    await clock.advance("10s");
    await until(async () => (await ticksWithPayload(a, "report")).length >= 2);
    await turns(50);
    expect(await ticksWithPayload(a, "report")).toEqual([
      '2030-01-01T00:00:10.000Z {"v":1}',
      '2030-01-01T00:00:20.000Z {"v":2}',
    ]);
  });

  it("a redefinition of the template keeps the count of occurrences: maxOccurrences still holds", async () => {
    const { clock, a } = pair();
    await a.schedule("thrice", "* * * * * *", () => {}, { payload: { v: 1 }, maxOccurrences: 3 });
    await a.start();
    await clock.advance("2s");
    await until(async () => (await ticksWithPayload(a, "thrice")).length === 2);
    await a.schedule("thrice", "* * * * * *", () => {}, { payload: { v: 2 }, maxOccurrences: 3 });
    await clock.advance("5s");
    await until(async () => (await a.getSchedule("thrice"))?.nextRunAt === null);
    await turns(50);
    expect(await ticksWithPayload(a, "thrice")).toEqual([
      '2030-01-01T00:00:01.000Z {"v":1}',
      '2030-01-01T00:00:02.000Z {"v":1}',
      '2030-01-01T00:00:03.000Z {"v":2}',
    ]);
  });

  it("a redefinition of the template keeps a paused schedule's count, and an ended schedule ended", async () => {
    const { clock, a } = pair();
    await a.schedule("paused", "* * * * * *", () => {}, { payload: { v: 1 }, maxOccurrences: 3 });
    await a.schedule("ended", "* * * * * *", () => {}, { payload: { v: 1 }, maxOccurrences: 2 });
    await a.start();
    await clock.advance("2s");
    await until(async () => (await ticksWithPayload(a, "paused")).length === 2);
    await until(async () => (await a.getSchedule("ended"))?.nextRunAt === null);
    await a.pauseSchedule("paused");
    await a.schedule("paused", "* * * * * *", () => {}, { payload: { v: 2 }, maxOccurrences: 3 });
    await a.schedule("ended", "* * * * * *", () => {}, { payload: { v: 2 }, maxOccurrences: 2 });
    expect(await a.getSchedule("paused")).toMatchObject({ occurrences: 2, nextRunAt: null });
    expect(await a.getSchedule("ended")).toMatchObject({ occurrences: 2, nextRunAt: null });
    await a.resumeSchedule("paused");
    await clock.advance("5s");
    await until(async () => (await a.getSchedule("paused"))?.nextRunAt === null);
    await turns(50);
    expect((await ticksWithPayload(a, "paused")).map((tick) => tick.slice(-7))).toEqual([
      '{"v":1}',
      '{"v":1}',
      '{"v":2}',
    ]);
    expect(await ticksWithPayload(a, "ended")).toHaveLength(2);
  });

  it("a firing that loses although nothing changed waits for the next pass instead of looping", async () => {
    class RefusingStore extends MemoryStore {
      fires = 0;
      override async fireScheduleTick() {
        this.fires++;
        return { fired: false, jobs: [] };
      }
    }
    const clock = new ManualClock(new Date("2030-01-01T00:00:00.000Z"));
    const store = new RefusingStore();
    const s = track(createScheduler({ clock, store, logger: recordingLogger() }));
    await s.schedule("stuck", "* * * * * *", () => {});
    await s.start();
    await clock.advance("1s");
    await until(() => store.fires >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.fires).toBe(1);
  });

  it("a definition with the same timing keeps its next run; another timing starts afresh", async () => {
    const { clock, a } = pair();
    await a.schedule("nightly", "0 3 * * *", () => {}, { payload: { v: 0 } });
    const first = (await a.getSchedule("nightly"))?.nextRunAt;
    expect(first?.toISOString()).toBe("2030-01-01T03:00:00.000Z");
    await clock.advance("5h");
    // The 03:00 tick is due and not fired yet (no instance was started): a new template keeps it.
    await a.schedule("nightly", "0 3 * * *", () => {}, { payload: { v: 1 } });
    expect((await a.getSchedule("nightly"))?.nextRunAt).toEqual(first);
    await a.schedule("nightly", "0 4 * * *", () => {}, { payload: { v: 1 } });
    expect((await a.getSchedule("nightly"))?.nextRunAt?.toISOString()).toBe("2030-01-02T04:00:00.000Z");
  });
});
