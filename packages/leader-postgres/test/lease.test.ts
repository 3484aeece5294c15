import { StoreError } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PostgresLeader } from "../src/index.js";
import {
  connectionString,
  leaderFactory,
  sleep,
  uniqueName,
  uniqueSchema,
  useLockTableSchema,
} from "./postgres.js";

const schema = uniqueSchema("lease");
const admin = useLockTableSchema(schema);
const leaders = leaderFactory({ schema });
afterEach(() => leaders.closeAll());

interface LeaseRow {
  holder: string | null;
  term: string;
  /** `expires_at - clock_timestamp()` in milliseconds, by the database's clock. */
  remaining_ms: number | null;
}

async function leaseRow(name: string): Promise<LeaseRow | undefined> {
  const { rows } = await admin.query<LeaseRow>(
    `SELECT holder, term::text AS term,
            (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms
     FROM "${schema}".scheduler_locks WHERE name = $1`,
    [name],
  );
  return rows[0];
}

describe("PostgresLeader terms", () => {
  it("terms strictly increase across many handovers, by release and by expiry", async () => {
    const name = uniqueName();
    const all = ["a", "b", "c"].map((id) => leaders.make({ instanceId: id, name, ttl: 300 }));
    const terms: number[] = [];
    for (let round = 0; round < 30; round++) {
      const leader = all[round % all.length]!;
      expect(await leader.acquire()).toBe(true);
      terms.push(leader.term);
      expect((await leaseRow(name))?.term).toBe(String(leader.term));
      if (round % 10 === 9)
        await sleep(350); // let this lease expire instead of releasing it
      else await leader.release();
    }
    for (let i = 1; i < terms.length; i++) expect(terms[i]!).toBeGreaterThan(terms[i - 1]!);
  });

  it("of ten concurrent acquirers exactly one leads, round after round", async () => {
    const name = uniqueName();
    const all = Array.from({ length: 10 }, (_, i) => leaders.make({ instanceId: `instance-${i}`, name }));
    let lastTerm = 0;
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(all.map((leader) => leader.acquire()));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winners = all.filter((leader) => leader.isLeader());
      expect(winners).toHaveLength(1);
      expect(winners[0]!.term).toBeGreaterThan(lastTerm);
      expect((await leaseRow(name))?.holder).toBe(winners[0]!.instanceId);
      lastTerm = winners[0]!.term;
      await winners[0]!.release();
    }
  });

  it("a release keeps the term, clears the holder and puts expires_at in the past", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name });
    expect(await a.acquire()).toBe(true);
    await a.release();
    const row = await leaseRow(name);
    expect(row?.holder).toBeNull();
    expect(row?.term).toBe(String(a.term));
    expect(row?.remaining_ms).toBeLessThan(0);
  });

  it("concurrent acquire calls on one instance run in order and gain leadership once", async () => {
    const a = leaders.make({ instanceId: "a", name: uniqueName() });
    const changes: Array<[boolean, number]> = [];
    a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
    expect(await Promise.all([a.acquire(), a.acquire(), a.acquire()])).toEqual([true, true, true]);
    expect(changes).toEqual([[true, a.term]]);
  });
});

describe("PostgresLeader and the database's clock", () => {
  it("sets expires_at from the database's clock", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: "5s" });
    expect(await a.acquire()).toBe(true);
    const first = await leaseRow(name);
    expect(first?.remaining_ms).toBeGreaterThan(4_000);
    expect(first?.remaining_ms).toBeLessThanOrEqual(5_000);
    await sleep(200);
    expect(await a.acquire()).toBe(true);
    // The renewal moved expires_at forward by the time that passed on the database.
    expect((await leaseRow(name))?.remaining_ms).toBeGreaterThan(first!.remaining_ms! - 50);
  });

  it("ignores the instances' wall clocks: a clock a year ahead takes nothing over", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: 400 });
    const b = leaders.make({ instanceId: "b", name, ttl: 400 });
    expect(await a.acquire()).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 365 * 24 * 3_600_000);
      expect(await b.acquire()).toBe(false);
      expect(await a.acquire()).toBe(true);
      expect((await leaseRow(name))?.remaining_ms).toBeLessThanOrEqual(400);
    } finally {
      vi.useRealTimers();
    }
  });

  it("steps down locally before the lease expires on the server", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: 1_000 });
    const b = leaders.make({ instanceId: "b", name, ttl: 1_000 });
    expect(await a.acquire()).toBe(true);
    await waitFor(() => !a.isLeader());
    // a no longer fires schedules, and the server still protects its lease from takeover.
    expect((await leaseRow(name))?.remaining_ms).toBeGreaterThan(0);
    expect(await b.acquire()).toBe(false);
  });

  it("a deleted lease row is recreated above this instance's last term", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name });
    expect(await a.acquire()).toBe(true);
    await a.release();
    expect(await a.acquire()).toBe(true);
    const term = a.term;
    await admin.query(`DELETE FROM "${schema}".scheduler_locks WHERE name = $1`, [name]);
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(term + 1);
  });
});

describe("PostgresLeader without its table", () => {
  it("rejects acquire with a StoreError telling to run migrate(), and does not lead", async () => {
    const leader = new PostgresLeader({ connectionString, schema: uniqueSchema("missing") });
    try {
      const error = await leader.acquire().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe("STORE_ERROR");
      expect((error as StoreError).message).toMatch(/scheduler_locks" does not exist; call migrate\(\)/);
      expect(leader.isLeader()).toBe(false);
    } finally {
      await leader.close();
    }
  });
});

describe("PostgresLeader on a pool of yours whose sessions default to serializable", () => {
  it("renews through a concurrent writer's row lock instead of failing with 40001 and stepping down", async () => {
    const name = uniqueName();
    const pool = new pg.Pool({
      connectionString,
      max: 2,
      options: "-c default_transaction_isolation=serializable",
    });
    const logger = recordingLogger();
    const a = leaders.make({ pool, instanceId: "a", name, logger });
    const blocker = await admin.connect();
    try {
      expect(await a.acquire()).toBe(true);
      const term = a.term;
      // A concurrent writer (another instance's acquire) holds the lease row while a renews.
      await blocker.query("BEGIN");
      await blocker.query(`UPDATE "${schema}".scheduler_locks SET expires_at = expires_at WHERE name = $1`, [
        name,
      ]);
      const renewal = a.acquire();
      await waitFor(
        async () =>
          (
            await admin.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_type = 'client backend' AND datname = current_database() AND query LIKE '-- Acquires or renews the lease%'",
            )
          ).rows[0]?.n === 1,
        { description: "the renewal to wait on the row lock" },
      );
      await blocker.query("COMMIT");
      expect(await renewal).toBe(true);
      expect(a.term).toBe(term);
      expect(logger.lines.filter((line) => line.level !== "debug")).toEqual([]);
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
      await leaders.closeAll();
      await pool.end();
    }
  });
});
