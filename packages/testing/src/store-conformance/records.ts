import type { InstanceRecord, QueueRecord, ScheduleRecord, ThroughputSample } from "@sched/core";
import { describe, expect, it } from "vitest";
import { at, newSchedule, type StoreSuiteContext } from "./fixtures.js";

const MINUTE = 60_000;

/** A presence record whose every instant has milliseconds. */
function instanceWithMs(id: string): InstanceRecord {
  return {
    id,
    host: "host-ms",
    pid: 7,
    version: "1.0.0",
    queues: ["default"],
    workers: 4,
    busy: 1,
    leader: true,
    distributed: true,
    startedAt: at(1_001),
    lastSeenAt: at(20_017),
    expiresAt: at(50_017),
  };
}

/** A schedule whose every instant has milliseconds. */
function scheduleWithMs(name: string): ScheduleRecord {
  return newSchedule(name, {
    nextRunAt: at(60_123),
    lastRunAt: at(-59_877),
    createdAt: at(-3_600_001),
    updatedAt: at(-59_876),
    definedAt: at(-3_600_001),
  });
}

/** Changes everything a caller could change in a record it holds, dates and nested objects included. */
function scribble(record: object): void {
  for (const [key, value] of Object.entries(record)) {
    if (value instanceof Date) value.setTime(0);
    else if (Array.isArray(value)) value.push("scribbled");
    else if (typeof value === "object" && value !== null) scribble(value);
    else if (typeof value === "number") (record as Record<string, unknown>)[key] = value + 1;
    else if (typeof value === "string") (record as Record<string, unknown>)[key] = `${value}-scribbled`;
    else if (typeof value === "boolean") (record as Record<string, unknown>)[key] = !value;
  }
}

/**
 * The records beside jobs (schedules, queue controls, presence records, throughput samples): the
 * store keeps its own copies, so what a caller does with a record it passed in or got back changes
 * nothing stored; and every `Date` it keeps comes back to the millisecond (store.ts: "Dates
 * round-trip with millisecond precision"), whatever the fixtures elsewhere use.
 */
export function describeRecords(ctx: StoreSuiteContext): void {
  describe("records beside jobs", () => {
    describe("each record is the caller's", () => {
      it("a schedule passed to saveSchedule or returned by getSchedule and listSchedules shares nothing with the store", async () => {
        const given = scheduleWithMs("mine");
        await ctx.store.saveSchedule(given);
        scribble(given);
        scribble((await ctx.store.getSchedule("mine")) as ScheduleRecord);
        for (const listed of await ctx.store.listSchedules()) scribble(listed);
        expect(await ctx.store.getSchedule("mine")).toEqual(scheduleWithMs("mine"));
        expect(await ctx.store.listSchedules()).toEqual([scheduleWithMs("mine")]);
      });

      it("a queue record returned by updateQueue, getQueue or listQueues, and the patch given, share nothing with the store", async () => {
        const patch = {
          paused: true,
          concurrency: 3,
          rateLimit: { max: 5, per: 1_000 },
          group: { concurrency: 1, rateLimit: { max: 2, per: 500 } },
        };
        const returned = await ctx.store.updateQueue("mine", patch, at(7));
        const expected: QueueRecord = {
          name: "mine",
          paused: true,
          concurrency: 3,
          rateLimit: { max: 5, per: 1_000 },
          group: { concurrency: 1, rateLimit: { max: 2, per: 500 } },
          limitedUntil: null,
          updatedAt: at(7),
        };
        expect(returned).toEqual(expected);
        scribble(patch);
        scribble(returned);
        scribble((await ctx.store.getQueue("mine")) as QueueRecord);
        for (const listed of await ctx.store.listQueues()) scribble(listed);
        expect(await ctx.store.getQueue("mine")).toEqual(expected);
        expect(await ctx.store.listQueues()).toEqual([expected]);
      });

      it("a presence record passed to saveInstance or returned by listInstances shares nothing with the store", async () => {
        const given = instanceWithMs("mine");
        await ctx.store.saveInstance(given);
        scribble(given);
        for (const listed of await ctx.store.listInstances(at(20_017))) scribble(listed);
        expect(await ctx.store.listInstances(at(20_017))).toEqual([instanceWithMs("mine")]);
      });

      it("throughput samples passed to addThroughput or returned by throughput share nothing with the store", async () => {
        const given: ThroughputSample[] = [{ queue: "mine", minute: at(MINUTE), completed: 3, failed: 1 }];
        await ctx.store.addThroughput(given, at(0));
        scribble(given);
        for (const sample of await ctx.store.throughput({ queue: null, since: at(0) })) scribble(sample);
        expect(await ctx.store.throughput({ queue: null, since: at(0) })).toEqual([
          { queue: "mine", minute: at(MINUTE), completed: 3, failed: 1 },
        ]);
      });
    });

    describe("milliseconds", () => {
      it("a schedule keeps the milliseconds of nextRunAt, lastRunAt, createdAt, updatedAt and definedAt", async () => {
        await ctx.store.saveSchedule(scheduleWithMs("ms"));
        expect(await ctx.store.getSchedule("ms")).toEqual(scheduleWithMs("ms"));
        expect(await ctx.store.listSchedules()).toEqual([scheduleWithMs("ms")]);
      });

      it("a tick's compare-and-set, and the nextRunAt and lastRunAt it writes, are exact to the millisecond", async () => {
        await ctx.store.saveSchedule(scheduleWithMs("ms"));
        const tick = { name: "ms", nextRunAt: at(120_456), firedAt: at(60_124), jobs: [] };
        // One millisecond off on either side is another tick.
        for (const expectedNextRunAt of [at(60_122), at(60_124), at(60_000)]) {
          expect(await ctx.store.fireScheduleTick({ ...tick, expectedNextRunAt })).toEqual({
            fired: false,
            jobs: [],
          });
        }
        expect((await ctx.store.fireScheduleTick({ ...tick, expectedNextRunAt: at(60_123) })).fired).toBe(
          true,
        );
        expect(await ctx.store.getSchedule("ms")).toMatchObject({
          nextRunAt: at(120_456),
          lastRunAt: at(60_124),
          updatedAt: at(60_124),
        });
      });

      it("saveSchedule with expectDefinition compares definedAt to the millisecond", async () => {
        await ctx.store.saveSchedule(scheduleWithMs("ms"));
        const next = newSchedule("ms", { definedAt: at(5_005), definedBy: "instance-2" });
        const stamp = { definedAt: at(-3_600_000), definedBy: "instance-1" };
        expect(await ctx.store.saveSchedule(next, { expectDefinition: stamp })).toBe(false);
        const exact = { definedAt: at(-3_600_001), definedBy: "instance-1" };
        expect(await ctx.store.saveSchedule(next, { expectDefinition: exact })).toBe(true);
        expect(await ctx.store.getSchedule("ms")).toEqual(next);
      });

      it("a presence record keeps the milliseconds of startedAt, lastSeenAt and expiresAt, and expires to the millisecond", async () => {
        await ctx.store.saveInstance(instanceWithMs("ms"));
        expect(await ctx.store.listInstances(at(50_016))).toEqual([instanceWithMs("ms")]);
        // Listed while expiresAt is after now: not at expiresAt itself.
        expect(await ctx.store.listInstances(at(50_017))).toEqual([]);
      });

      it("a queue record keeps the milliseconds of updatedAt", async () => {
        expect((await ctx.store.updateQueue("ms", { concurrency: 2 }, at(5_005))).updatedAt).toEqual(
          at(5_005),
        );
        expect((await ctx.store.getQueue("ms"))?.updatedAt).toEqual(at(5_005));
        expect((await ctx.store.listQueues())[0]?.updatedAt).toEqual(at(5_005));
      });
    });
  });
}
