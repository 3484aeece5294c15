import type { StoreEvent } from "@sched/core/adapter";
import { BSON, MongoClient } from "mongodb";
import { afterEach, describe, expect, it } from "vitest";
import { FIRST_WATCH_WAIT_MS, WakeUps } from "../src/wake-ups.js";
import { ScriptedServer } from "./scripted-server.js";

// The opening of the change streams that feed a store's listeners. A change committed before a
// stream's cursor is open is not in the stream, so the store's calls wait for the streams' first
// answers (at most FIRST_WATCH_WAIT_MS). No server here has change streams: a scripted server
// answers the streams' `aggregate` (at once, or never) as a replica set would open a cursor.
let server: ScriptedServer | undefined;
let client: MongoClient | undefined;
let wakeUps: WakeUps | undefined;

afterEach(async () => {
  await wakeUps?.close();
  await client?.close();
  await server?.stop();
  wakeUps = client = server = undefined;
});

/** Watches through a server that answers `aggregate` as `answer` says; returns the events heard. */
async function watching(answer: "open" | "hang"): Promise<{ wake: WakeUps; events: StoreEvent[] }> {
  server = await ScriptedServer.start((name, command) => {
    if (name === "aggregate") {
      if (answer === "hang") return "hang";
      const namespace = `faults.${String(command.aggregate)}`;
      return {
        cursor: {
          id: BSON.Long.fromNumber(7),
          ns: namespace,
          firstBatch: [],
          postBatchResumeToken: { _data: "8200000001000000012B0229296E04" },
        },
        ok: 1,
      };
    }
    // The streams' next batches never come: nothing changes.
    if (name === "getMore") return "hang";
    return undefined;
  });
  client = new MongoClient(server.url(), { serverSelectionTimeoutMS: 2_000 });
  await client.connect();
  const wake = new WakeUps();
  wakeUps = wake;
  const events: StoreEvent[] = [];
  wake.add((event) => events.push(event));
  const db = client.db("faults");
  wake.watch(db.collection("scheduler_jobs"), db.collection("scheduler_queues"), () => {});
  return { wake, events };
}

describe("MongoStore's change streams: their opening", () => {
  it("calls wait until both streams have their cursor open, and no longer", async () => {
    const { wake, events } = await watching("open");
    const opening = wake.untilWatching();
    expect(opening).not.toBeNull();
    const t0 = performance.now();
    await opening;
    // Ended by the cursors' answers, long before the bound.
    expect(performance.now() - t0).toBeLessThan(FIRST_WATCH_WAIT_MS - 500);
    expect(wake.untilWatching()).toBeNull();
    expect(server?.received.filter((command) => command.name === "aggregate")).toHaveLength(2);
    expect(events).toEqual([{ type: "connected" }]);
  });

  it("a server that never opens the cursors holds the calls for the bound only", async () => {
    const { wake, events } = await watching("hang");
    const opening = wake.untilWatching();
    expect(opening).not.toBeNull();
    const t0 = performance.now();
    await opening;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(FIRST_WATCH_WAIT_MS - 50);
    expect(wake.untilWatching()).toBeNull();
    expect(events).toEqual([{ type: "connected" }]);
  });
});
