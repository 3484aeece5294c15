import { Scheduler } from "@sched/core";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openConnection } from "../src/connection/index.js";
import { MongoStore } from "../src/index.js";
import { startDeployment, type TestDeployment, uniquePrefix } from "./servers.js";

let deployment: TestDeployment;
const clients: MongoClient[] = [];

beforeAll(async () => {
  deployment = await startDeployment();
});
afterAll(async () => {
  for (const client of clients) await client.close(true);
  await deployment?.stop();
});

describe("the store reads BSON its own way, whatever the application's client is set to", () => {
  it("a client with promoteValues false still gives jobs of plain numbers and dates", async () => {
    // An application's client that keeps BSON numbers wrapped (Int32, Double).
    const client = new MongoClient(deployment.url, { promoteValues: false });
    clients.push(client);
    const store = new MongoStore({ client, dbName: "sched_bson", collectionPrefix: uniquePrefix("bson") });
    await store.migrate();
    const s = new Scheduler({ store });
    try {
      const job = await s.enqueue({
        name: "typed",
        payload: { n: 1.5, count: 2 },
        priority: 3,
        maxRetries: 4,
        timeout: "2s",
        runAt: new Date(Date.now() + 3_600_000),
      });
      const read = await s.getJob(job.id);
      expect(read).not.toBeNull();
      expect(read?.priority).toBe(3);
      expect(read?.maxRetries).toBe(4);
      expect(read?.timeout).toBe(2000);
      expect(read?.retryCount).toBe(0);
      expect(read?.attempt).toBe(0);
      expect(read?.scheduledAt).toBeInstanceOf(Date);
      expect(read?.scheduledAt.getTime()).toBe(job.scheduledAt.getTime());
      expect(read?.payload).toEqual({ n: 1.5, count: 2 });
      const stats = await s.stats();
      expect(stats.scheduled).toBe(1);
    } finally {
      await s.stop();
      await store.close();
    }
  });
});

describe("the store's database handle reads from the primary and has its writes acknowledged", () => {
  const settings = { serverSelectionTimeoutMs: 1_000, connectTimeoutMs: 1_000 };

  it("a client reading from secondaries with w: 0 gives the store a primary, majority handle; its own options stay", async () => {
    const client = new MongoClient("mongodb://127.0.0.1:1/", {
      readPreference: "secondary",
      writeConcern: { w: 0 },
    });
    const { db } = openConnection({ client, dbName: "sched_options" }, settings);
    expect(db.readPreference.mode).toBe("primary");
    expect(db.writeConcern?.w).toBe("majority");
    expect(db.bsonOptions).toMatchObject({ promoteValues: true, promoteLongs: true, useBigInt64: false });
    // The application's client keeps what it asked for.
    expect(client.readPreference.mode).toBe("secondary");
    expect(client.writeConcern?.w).toBe(0);
    await client.close();
  });

  it("an acknowledged write concern of the client is kept, and a URL's options are treated alike", async () => {
    const client = new MongoClient("mongodb://127.0.0.1:1/", { writeConcern: { w: 1 } });
    expect(openConnection({ client, dbName: "sched_options" }, settings).db.writeConcern?.w).toBe(1);
    await client.close();
    const owned = openConnection(
      { url: "mongodb://127.0.0.1:1/sched_options?w=0&readPreference=secondaryPreferred" },
      settings,
    );
    expect(owned.db.readPreference.mode).toBe("primary");
    expect(owned.db.writeConcern?.w).toBe("majority");
    await owned.client.close();
  });
});
