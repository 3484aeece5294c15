import { waitFor } from "@sched/testing";
import { MongoClient } from "mongodb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type LeaseDocument, leaseId } from "../src/index.js";
import { leaderFactory, onRealMongo, sleep, uniqueName, useMongo } from "./mongo.js";

const target = useMongo("lease");
const leaders = leaderFactory(target);
afterEach(() => leaders.closeAll());

const leases = () => target.admin.db(target.dbName).collection<LeaseDocument>("scheduler_leases");

/** The lease document of `name`, and how long it has left by the server's clock (ms). */
async function leaseOf(name: string): Promise<(LeaseDocument & { remainingMs: number }) | null> {
  const [lease] = await leases()
    .aggregate<LeaseDocument & { remainingMs: number }>([
      { $match: { _id: leaseId(name) } },
      { $addFields: { remainingMs: { $subtract: [{ $add: ["$renewedAt", "$ttlMs"] }, "$$NOW"] } } },
    ])
    .toArray();
  return lease ?? null;
}

describe("MongoLeader terms", () => {
  it("terms strictly increase across many handovers, by release and by expiry", async () => {
    const name = uniqueName();
    const all = ["a", "b", "c"].map((id) => leaders.make({ instanceId: id, name, ttl: 300 }));
    const terms: number[] = [];
    for (let round = 0; round < 21; round++) {
      const leader = all[round % all.length]!;
      expect(await leader.acquire()).toBe(true);
      terms.push(leader.term);
      expect((await leaseOf(name))?.term).toBe(leader.term);
      if (round % 7 === 6)
        await sleep(350); // let this lease expire instead of releasing it
      else await leader.release();
    }
    for (let i = 1; i < terms.length; i++) expect(terms[i]!).toBeGreaterThan(terms[i - 1]!);
  });

  it("of ten concurrent acquirers on separate clients exactly one leads, round after round", async () => {
    const name = uniqueName();
    const all = Array.from({ length: 10 }, (_, i) => leaders.make({ instanceId: `instance-${i}`, name }));
    let lastTerm = 0;
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(all.map((leader) => leader.acquire()));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winners = all.filter((leader) => leader.isLeader());
      expect(winners).toHaveLength(1);
      expect(winners[0]!.term).toBeGreaterThan(lastTerm);
      expect((await leaseOf(name))?.holder).toBe(winners[0]!.instanceId);
      lastTerm = winners[0]!.term;
      await winners[0]!.release();
    }
  });

  it("a release keeps the term, clears the holder and leaves the lease expired", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name });
    expect(await a.acquire()).toBe(true);
    await a.release();
    const lease = await leaseOf(name);
    expect(lease?.holder).toBeNull();
    expect(lease?.term).toBe(a.term);
    expect(lease?.remainingMs).toBeLessThanOrEqual(0);
    expect(lease?.name).toBe(name);
  });

  it("a deleted lease document is recreated above this instance's last term", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name });
    expect(await a.acquire()).toBe(true);
    await a.release();
    expect(await a.acquire()).toBe(true);
    const term = a.term;
    await leases().deleteOne({ _id: leaseId(name) });
    // The renewal finds no lease: a steps down, and its next election recreates the lease.
    expect(await a.acquire()).toBe(false);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(term + 1);
  });

  it("leaders on one client you gave share it, and close() leaves it open", async () => {
    const client = new MongoClient(target.url);
    try {
      const name = uniqueName();
      const a = leaders.make({ client, dbName: target.dbName, instanceId: "a", name });
      const b = leaders.make({ client, dbName: target.dbName, instanceId: "b", name });
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
      await a.close();
      expect(await b.acquire()).toBe(true);
      expect(await client.db(target.dbName).command({ ping: 1 })).toMatchObject({ ok: 1 });
    } finally {
      await client.close();
    }
  });

  it("a collection prefix of its own keeps its leases apart", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, collectionPrefix: "other_" });
    const b = leaders.make({ instanceId: "b", name });
    expect(a.collectionName).toBe("other_leases");
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(true);
    const other = await target.admin
      .db(target.dbName)
      .collection("other_leases")
      .findOne({ _id: leaseId(name) });
    expect(other?.holder).toBe("a");
  });
});

describe("MongoLeader and the server's clock", () => {
  it("sets the lease's expiry from the server's clock", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: "5s" });
    expect(await a.acquire()).toBe(true);
    const first = await leaseOf(name);
    expect(first?.remainingMs).toBeGreaterThan(4_000);
    expect(first?.remainingMs).toBeLessThanOrEqual(5_000);
    await sleep(200);
    expect(await a.acquire()).toBe(true);
    // The renewal moved the expiry forward by the time that passed on the server.
    expect((await leaseOf(name))?.remainingMs).toBeGreaterThan(first!.remainingMs - 50);
  });

  // The emulator runs in this process: its $$NOW is the very clock the test fakes.
  it.skipIf(!onRealMongo)(
    "ignores the instances' wall clocks: a clock a year ahead takes nothing over (needs a real MongoDB: the emulator's clock is this process's)",
    async () => {
      const name = uniqueName();
      const a = leaders.make({ instanceId: "a", name, ttl: 400 });
      const b = leaders.make({ instanceId: "b", name, ttl: 400 });
      expect(await a.acquire()).toBe(true);
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(Date.now() + 365 * 24 * 3_600_000);
        expect(await b.acquire()).toBe(false);
        expect(await a.acquire()).toBe(true);
      } finally {
        vi.useRealTimers();
      }
      expect((await leaseOf(name))?.remainingMs).toBeLessThanOrEqual(400);
    },
  );

  it("steps down locally before the lease expires on the server", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: 1_000 });
    const b = leaders.make({ instanceId: "b", name, ttl: 1_000 });
    expect(await a.acquire()).toBe(true);
    await waitFor(() => !a.isLeader());
    expect((await leaseOf(name))?.remainingMs).toBeGreaterThan(0);
    expect(await b.acquire()).toBe(false);
  });
});

describe("MongoLeader.migrate", () => {
  it("creates the lease collection, and runs again and at once without error", async () => {
    const prefix = `m${Date.now()}_`;
    const all = Array.from({ length: 4 }, () => leaders.make({ collectionPrefix: prefix }));
    await Promise.all(all.map((leader) => leader.migrate()));
    await all[0]!.migrate();
    const names = await target.admin
      .db(target.dbName)
      .listCollections({ name: `${prefix}leases` })
      .toArray();
    expect(names).toHaveLength(1);
  });

  it("refuses once the leader is closed", async () => {
    const leader = leaders.make();
    await leader.close();
    await expect(leader.migrate()).rejects.toMatchObject({ code: "STORE_ERROR", message: /closed/ });
  });
});
