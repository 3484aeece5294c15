import { waitFor } from "@sched/testing";
import { newJob as fixtureJob } from "@sched/testing/conformance";
import { afterAll, describe, expect, it } from "vitest";
import type { PostgresStore, PostgresStoreOptions } from "../src/index.js";
import { nestedPlans, POSTGRES_URL, TestSchemas, uniqueName } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

/** A pending job of queue `default`, named `work`, with no payload, no retries and no timeout. */
function newJob() {
  return fixtureJob({ name: "work", payload: null, maxRetries: 0, timeout: 0 });
}

/** How many times the jobs table of `schema` was analyzed by an ANALYZE statement (not autovacuum). */
async function analyzeCount(schema: string): Promise<number> {
  const { rows } = await schemas.admin.query<{ n: string }>(
    "SELECT analyze_count AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'scheduler_jobs'",
    [schema],
  );
  return Number(rows[0]?.n ?? 0);
}

/** How many times the jobs table of `schema` was vacuumed by a VACUUM statement (not autovacuum). */
async function vacuumCount(schema: string): Promise<number> {
  const { rows } = await schemas.admin.query<{ n: string }>(
    "SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'scheduler_jobs'",
    [schema],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Claims up to `limit` due jobs for worker `w1` and completes them; the completions' results. */
async function claimAndComplete(store: PostgresStore, limit: number): Promise<boolean[]> {
  const claimed = await store.claimDueJobs({
    queues: null,
    names: null,
    limit,
    now: at(1),
    lockedUntil: at(60_000),
    workerId: "w1",
  });
  const refs = claimed.map((job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w1" }));
  return store.completeJobs(refs, { now: at(2) });
}

/**
 * Runs `jobs` jobs through a store with `options`: enqueued, claimed, then all but one completed
 * and the last one failed for good. Then closes the store, which waits for a vacuum in flight.
 * Returns the schema.
 */
async function runJobs(jobs: number, options: PostgresStoreOptions): Promise<string> {
  const schema = await schemas.migrated("sched_vacuum");
  const store = schemas.store(schema, options);
  try {
    await store.createJobs(Array.from({ length: jobs }, newJob));
    const claimed = await store.claimDueJobs({
      queues: null,
      names: null,
      limit: jobs,
      now: at(1),
      lockedUntil: at(60_000),
      workerId: "w1",
    });
    expect(claimed).toHaveLength(jobs);
    const refs = claimed.map((job) => ({
      id: job.id,
      queue: job.queue,
      attempt: job.attempt,
      lockedBy: job.lockedBy ?? "",
    }));
    const last = refs.pop();
    expect(await store.completeJobs(refs, { now: at(2) })).toEqual(refs.map(() => true));
    if (last !== undefined) {
      expect(await store.failJob(last, { now: at(2), error: "boom", retryAt: null })).toMatchObject({
        status: "dead",
      });
    }
  } finally {
    await store.close();
  }
  return schema;
}

describe("the store's vacuum of the jobs table", () => {
  it("vacuums the jobs table once vacuumEvery jobs have ended (completed or dead)", async () => {
    const schema = await runJobs(4, { vacuumEvery: 4 });
    expect(await vacuumCount(schema)).toBe(1);
  });

  it("does not vacuum before vacuumEvery jobs have ended", async () => {
    const schema = await runJobs(4, { vacuumEvery: 5 });
    expect(await vacuumCount(schema)).toBe(0);
  });

  it("vacuums after a cleanup that deleted jobs, however few", async () => {
    const schema = await runJobs(3, { vacuumEvery: 1_000 });
    expect(await vacuumCount(schema)).toBe(0);
    let removed = 0;
    const store = schemas.store(schema, { vacuumEvery: 1_000 });
    try {
      removed = await store.cleanup({ completedBefore: at(3), deadBefore: at(3), cancelledBefore: at(3) });
    } finally {
      await store.close();
    }
    expect(removed).toBe(3);
    expect(await vacuumCount(schema)).toBe(1);
  });

  it("never vacuums with vacuumEvery 0, not even after a cleanup", async () => {
    const schema = await runJobs(3, { vacuumEvery: 0 });
    const store = schemas.store(schema, { vacuumEvery: 0 });
    try {
      expect(await store.cleanup({ completedBefore: at(3), deadBefore: at(3), cancelledBefore: at(3) })).toBe(
        3,
      );
    } finally {
      await store.close();
    }
    expect(await vacuumCount(schema)).toBe(0);
  });

  it("a role that may not vacuum the tables runs with the README's grants; the store checks once, does not vacuum, and says so once", async () => {
    const schema = await schemas.migrated("sched_vacuum_role");
    const role = uniqueName("sched_app");
    // The grants the README's "Roles and privileges" lists for a role that does not own the tables.
    await schemas.admin.query(`CREATE ROLE "${role}" LOGIN`);
    await schemas.admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    await schemas.admin.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`,
    );
    const url = new URL(POSTGRES_URL);
    url.username = role;
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger = {
      debug() {},
      info() {},
      warn: (message: string, fields?: Record<string, unknown>) => warnings.push([message, fields]),
      error() {},
    };
    const store = schemas.store(schema, { connectionString: url.toString(), vacuumEvery: 2, logger });
    try {
      for (let round = 0; round < 3; round++) {
        await store.createJobs(Array.from({ length: 4 }, newJob));
        expect(await claimAndComplete(store, 4)).toEqual([true, true, true, true]);
        expect(
          await store.cleanup({ completedBefore: at(3), deadBefore: at(3), cancelledBefore: at(3) }),
        ).toBe(4);
        await waitFor(() => warnings.length > 0, { timeout: 5_000 });
      }
    } finally {
      await store.close();
      await schemas.admin.query(`DROP OWNED BY "${role}"`);
      await schemas.admin.query(`DROP ROLE "${role}"`);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[0]).toMatch(/does not vacuum or analyze its jobs table: its role may not/);
    expect(warnings[0]?.[1]).toEqual({ schema, table: "scheduler_jobs" });
    expect(await vacuumCount(schema)).toBe(0);

    // The owner's store vacuums, and says nothing.
    const owned = schemas.store(schema, { vacuumEvery: 2, logger });
    try {
      await owned.createJobs([newJob()]);
      expect(await owned.cleanup({ completedBefore: at(3), deadBefore: at(3), cancelledBefore: at(3) })).toBe(
        0,
      );
      await owned.createJobs([newJob()]);
      expect(await claimAndComplete(owned, 2)).toEqual([true, true]);
    } finally {
      await owned.close();
    }
    expect(await vacuumCount(schema)).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  it("after a cleanup that emptied the table, analyzes it once it refilled: a batch's acknowledgement reads its batch, not the table", async () => {
    const schema = await runJobs(3_000, { vacuumEvery: 100_000 });
    const store = schemas.store(schema, { vacuumEvery: 100_000 });
    let claimed: Awaited<ReturnType<typeof store.claimDueJobs>> = [];
    try {
      expect(await store.cleanup({ completedBefore: at(3), deadBefore: at(3), cancelledBefore: at(3) })).toBe(
        3_000,
      );
      // The cleanup's vacuum saw no live row in the table's pages (which it keeps): the planner
      // then takes the table for empty however much it refills.
      await waitFor(async () => (await vacuumCount(schema)) === 1, {
        timeout: "10s",
        description: "the cleanup's vacuum",
      });
      await store.createJobs(Array.from({ length: 1_500 }, newJob));
      claimed = await store.claimDueJobs({
        queues: null,
        names: null,
        limit: 1_500,
        now: at(10),
        lockedUntil: at(60_000),
        workerId: "w1",
      });
      expect(claimed).toHaveLength(1_500);
      // 1,500 jobs inserted since: the store analyzed the table.
      await waitFor(async () => (await analyzeCount(schema)) === 1, {
        timeout: "10s",
        description: "the analyze",
      });
    } finally {
      await store.close();
    }
    const { rows } = await schemas.admin.query<{ live: number }>(
      "SELECT reltuples::float8 AS live FROM pg_class WHERE oid = $1::regclass",
      [`"${schema}".scheduler_jobs`],
    );
    expect(rows[0]?.live).toBeGreaterThan(1_000);
    // A completion of 100 refs, planned on a new connection: each ref found by primary key, not
    // the whole table read for each (a nested loop over the table with the refs as its inner side).
    const part = claimed.slice(0, 100);
    const plans = (
      await nestedPlans([
        [
          `SELECT * FROM "${schema}".scheduler_complete_jobs($5, $1, $2, $3, $4)`,
          [
            part.map((job) => job.id),
            part.map((job) => job.queue),
            part.map((job) => job.attempt),
            part.map(() => "w1"),
            at(20),
          ],
        ],
      ])
    ).filter((plan) => plan.includes("SET status = 'completed'"));
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(
      /Index Scan using scheduler_jobs_pkey[^\n]*\n\s*Output:[^\n]*\n\s*Index Cond: \(j\.id = /,
    );
    expect(plans[0]).not.toContain("Join Filter");
  });
});
