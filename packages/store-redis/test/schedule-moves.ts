import type { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { deleteKeys, newSchedule, uniquePrefix } from "./helpers.js";

/** What the tests below need of the server: a client on it, and the keys of a prefix. */
export interface ScheduleServer {
  client: Redis | Cluster;
  keysOf(prefix: string): Promise<string[]>;
}

const T = new Date("2030-01-01T00:00:00.000Z");
const later = (ms: number): Date => new Date(T.getTime() + ms);

/**
 * What the conformance suite does not reach: a schedule lives in the slot of its job template's
 * queue, so a definition that sends its ticks to another queue moves the record, under the same
 * conditions as any write; and records stored before definitions were stamped.
 */
export function describeScheduleMoves(label: string, server: () => ScheduleServer): void {
  describe(`${label}: schedules`, () => {
    async function withStore(test: (store: RedisStore, keys: () => Promise<string[]>) => Promise<void>) {
      const { client, keysOf } = server();
      const keyPrefix = uniquePrefix("schedules");
      const store = new RedisStore({ client, keyPrefix });
      try {
        await test(store, () => keysOf(keyPrefix));
      } finally {
        await deleteKeys(client, keyPrefix);
        await store.close();
      }
    }

    it("a schedule whose ticks go to another queue moves to that queue's slot", async () => {
      await withStore(async (store, keys) => {
        await store.saveSchedule(newSchedule("report", "a", T));
        const moved = newSchedule("report", "b", T, { definedAt: later(1), definedBy: "instance-2" });
        expect(await store.saveSchedule(moved)).toBe(true);
        expect(await store.getSchedule("report")).toEqual(moved);
        expect(await store.listSchedules()).toEqual([moved]);
        const scheduleKeys = (await keys()).filter((key) => key.includes(":schedule:"));
        expect(scheduleKeys).toHaveLength(1);
        expect(scheduleKeys[0]).toContain("{b}:schedule:report");
        // The tick's compare-and-set finds it in its new slot.
        const fired = await store.fireScheduleTick({
          name: "report",
          expectedNextRunAt: T,
          nextRunAt: later(1_000),
          firedAt: T,
          jobs: [],
        });
        expect(fired.fired).toBe(true);
      });
    });

    it("a move is a compare-and-set on the record in the old slot, and onlyIfAbsent sees it there", async () => {
      await withStore(async (store) => {
        const first = newSchedule("report", "a", T, { definedAt: later(10), definedBy: null });
        await store.saveSchedule(first);
        const moved = newSchedule("report", "b", T, { definedAt: later(20), definedBy: "x" });
        expect(await store.saveSchedule(moved, { onlyIfAbsent: true })).toBe(false);
        expect(
          await store.saveSchedule(moved, { expectDefinition: { definedAt: later(10), definedBy: "y" } }),
        ).toBe(false);
        expect(await store.getSchedule("report")).toEqual(first);
        const results = await Promise.all(
          ["b", "c", "d"].map((queue, i) =>
            store.saveSchedule(
              newSchedule("report", queue, T, { definedAt: later(30 + i), definedBy: queue }),
              {
                expectDefinition: { definedAt: later(10), definedBy: null },
              },
            ),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = ["b", "c", "d"][results.indexOf(true)] as string;
        expect((await store.getSchedule("report"))?.definition.job.queue).toBe(winner);
        expect(await store.listSchedules()).toHaveLength(1);
      });
    });

    it("a schedule stored before definitions were stamped counts as defined at its createdAt, by no one", async () => {
      await withStore(async (store) => {
        const { client } = server();
        const key = `${store.keyPrefix}{a}:schedule:old`;
        const record = newSchedule("old", "a", T);
        await client.hset(
          key,
          "name",
          "old",
          "definition",
          JSON.stringify(record.definition),
          "occurrences",
          "3",
          "createdAt",
          String(T.getTime()),
          "updatedAt",
          String(T.getTime()),
          "nextRunAt",
          String(T.getTime()),
        );
        await client.hset(`${store.keyPrefix}{#${store.keyPrefix}}:schedules`, "old", "a");
        const stored = await store.getSchedule("old");
        expect(stored).toMatchObject({ occurrences: 3, definedAt: T, definedBy: null });
        const next = newSchedule("old", "a", T, { definedAt: later(1), definedBy: "new" });
        expect(
          await store.saveSchedule(next, { expectDefinition: { definedAt: T, definedBy: "someone" } }),
        ).toBe(false);
        expect(await store.saveSchedule(next, { expectDefinition: { definedAt: T, definedBy: null } })).toBe(
          true,
        );
        expect(await store.getSchedule("old")).toEqual(next);
      });
    });

    it("both onlyIfAbsent and expectDefinition never write", async () => {
      await withStore(async (store) => {
        const record = newSchedule("both", "a", T);
        const stamp = { definedAt: T, definedBy: "instance-1" };
        expect(await store.saveSchedule(record, { onlyIfAbsent: true, expectDefinition: stamp })).toBe(false);
        await store.saveSchedule(record);
        expect(await store.saveSchedule(record, { onlyIfAbsent: true, expectDefinition: stamp })).toBe(false);
      });
    });

    it("a registry entry lost with its slot's data is written again", async () => {
      await withStore(async (store) => {
        const record = newSchedule("lost", "a", T);
        await store.saveSchedule(record);
        await server().client.del(`${store.keyPrefix}{#${store.keyPrefix}}:schedules`);
        expect(await store.getSchedule("lost")).toBeNull();
        // A restore (onlyIfAbsent) finds the record in place: not written, but listed again.
        expect(await store.saveSchedule(record, { onlyIfAbsent: true })).toBe(false);
        expect(await store.getSchedule("lost")).toEqual(record);
      });
    });
  });
}
