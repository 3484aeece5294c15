import { encodeJobCursor, type JobSelector, uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableNames } from "../src/identifiers.js";
import type { PostgresStore } from "../src/index.js";
import { listParams } from "../src/operation-rows.js";
import { buildQueries } from "../src/queries.js";
import { TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
const nextId = uuidv7Generator();
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

let schema: string;
let store: PostgresStore;

beforeAll(async () => {
  schema = await schemas.migrated("sched_ops");
  store = schemas.store(schema);
});

afterAll(async () => {
  await store.close();
  await schemas.dropAll();
});

function newJob(queue: string, overrides: { uniqueKey?: string; createdAt?: Date } = {}) {
  return {
    id: nextId(),
    name: "work",
    payload: null,
    queue,
    priority: 0,
    maxRetries: 0,
    timeout: 0,
    scheduledAt: T0,
    createdAt: overrides.createdAt ?? T0,
    status: "pending" as const,
    metadata: {},
    uniqueKey: overrides.uniqueKey ?? null,
  };
}

/** The counts of the jobs table itself, by queue and status: what stats() must equal. */
async function countedJobs(queues: string[]): Promise<Record<string, Record<string, number>>> {
  const { rows } = await schemas.admin.query<{ queue: string; status: string; n: number }>(
    `SELECT queue, status, count(*)::integer AS n FROM "${schema}".scheduler_jobs
     WHERE queue = ANY ($1) GROUP BY queue, status`,
    [queues],
  );
  const counts: Record<string, Record<string, number>> = {};
  for (const row of rows) counts[row.queue] = { ...counts[row.queue], [row.status]: row.n };
  return counts;
}

/** The non-zero counts of stats() for `queues`. */
async function keptCounts(queues: string[]): Promise<Record<string, Record<string, number>>> {
  const { byQueue = {} } = await store.stats();
  const counts: Record<string, Record<string, number>> = {};
  for (const queue of queues) {
    for (const [status, n] of Object.entries(byQueue[queue] ?? {})) {
      if (n !== 0) counts[queue] = { ...counts[queue], [status]: n };
    }
  }
  return counts;
}

/**
 * How many rows of the jobs table the listing statement reads for `filter` (rows returned by its
 * scans plus rows a filter removed), from EXPLAIN ANALYZE; and whether it read the whole table.
 */
async function rowsRead(filter: Parameters<PostgresStore["listJobs"]>[0]) {
  const sql = buildQueries(tableNames(schema, "scheduler_"));
  const text = filter.order === "desc" ? sql.listJobsDesc : sql.listJobs;
  const { rows } = await schemas.admin.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
    listParams(filter).values,
  );
  let read = 0;
  let scanned = false;
  const visit = (node: PlanNode) => {
    if (node["Relation Name"] === "scheduler_jobs") {
      const loops = node["Actual Loops"] ?? 1;
      read += ((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0)) * loops;
      if (node["Node Type"] === "Seq Scan") scanned = true;
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit((rows[0] as { "QUERY PLAN": Array<{ Plan: PlanNode }> })["QUERY PLAN"][0]!.Plan);
  return { read, scanned };
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

describe("listJobs on PostgreSQL", () => {
  it("a deep page reads about as many rows as the first, through the listing indexes, whatever the filter", async () => {
    // 30,000 jobs over 4 queues (one of 600 jobs), 25 groups and 5 statuses (30 running), created
    // 1 ms apart: a filter on a small queue or group must not read the other jobs to fill a page.
    await schemas.admin.query(
      `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, scheduled_at, created_at, group_key, completed_at)
       SELECT 'deep-' || lpad(i::text, 6, '0'), 'work',
         CASE WHEN i % 50 = 0 THEN 'deep-rare' ELSE 'deep-' || (i % 3) END,
         CASE WHEN i % 1000 = 7 THEN 'running' ELSE (ARRAY['pending', 'completed', 'dead', 'completed'])[1 + i % 4] END,
         $1::timestamptz,
         $1::timestamptz + i * interval '1 ms', 'tenant-' || (i % 25),
         CASE WHEN i % 4 IN (1, 2, 3) THEN $1::timestamptz END
       FROM generate_series(1, 30000) AS i`,
      [T0],
    );
    await schemas.admin.query(`ANALYZE "${schema}".scheduler_jobs`);
    const filters: JobSelector[] = [
      {},
      { queue: "deep-1" },
      { queue: "deep-rare" },
      { status: "dead" },
      { status: ["dead", "pending"], queue: "deep-rare" },
      { group: "tenant-3" },
      { from: at(1_000), to: at(29_000) },
      { status: "running", queue: "deep-1" },
    ];
    const deep = { createdAt: at(27_000), id: "deep-027000" };
    for (const selector of filters) {
      for (const order of ["asc", "desc"] as const) {
        const first = await rowsRead({ ...selector, order, limit: 50 });
        const cursor = encodeJobCursor(order === "asc" ? deep : { createdAt: at(3_000), id: "deep-003000" });
        const later = await rowsRead({ ...selector, order, limit: 50, cursor });
        for (const page of [first, later]) {
          expect(page.scanned, JSON.stringify({ selector, order })).toBe(false);
          // At most `limit` per listed status (7 when none is given), never the jobs before the cursor.
          expect(page.read, JSON.stringify({ selector, order })).toBeLessThanOrEqual(7 * 50);
        }
      }
    }
    const page = await store.listJobs({
      queue: "deep-1",
      status: "dead",
      limit: 2,
      cursor: encodeJobCursor(deep),
    });
    expect(page.jobs.map((job) => job.id)).toEqual(["deep-027010", "deep-027022"]);
  });
});

describe("job counts on PostgreSQL", () => {
  it("stats reads the counts kept as jobs change, not the jobs", async () => {
    await store.createJobs([newJob("kept"), newJob("kept")]);
    expect((await store.stats()).byQueue?.kept).toMatchObject({ pending: 2 });
    // Only the kept counts say 40: the jobs table was not counted.
    await schemas.admin.query(
      `UPDATE "${schema}".scheduler_job_counts SET n = 40 WHERE queue = 'kept' AND status = 'pending'`,
    );
    expect((await store.stats()).byQueue?.kept).toMatchObject({ pending: 40 });
  });

  it("counts stay exact under concurrent enqueues, claims, completions, deletes and reads", async () => {
    const queues = ["count-a", "count-b", "count-c"];
    const peer = schemas.store(schema);
    try {
      const work = async (worker: PostgresStore, round: number) => {
        const queue = queues[round % queues.length] as string;
        await worker.createJobs(Array.from({ length: 20 }, () => newJob(queue)));
        const claimed = await worker.claimDueJobs({
          queues: [queue],
          names: null,
          limit: 15,
          now: at(round),
          lockedUntil: at(60_000),
          workerId: `w${round}`,
        });
        await worker.completeJobs(
          claimed
            .slice(0, 10)
            .map((job) => ({ id: job.id, queue, attempt: job.attempt, lockedBy: `w${round}` })),
          { now: at(round), removeOnComplete: round % 2 === 0 },
        );
        if (round % 5 === 0) await worker.deleteJobs({ queue, status: "completed" });
        await worker.stats();
      };
      await Promise.all(
        Array.from({ length: 24 }, (_, round) => work(round % 2 === 0 ? store : peer, round)),
      );
      expect(await keptCounts(queues)).toEqual(await countedJobs(queues));
    } finally {
      await peer.close();
    }
  });

  it("a TRUNCATE of the jobs table empties the counts with it", async () => {
    const truncated = await schemas.migrated("sched_ops_truncate");
    const own = schemas.store(truncated);
    try {
      await own.createJobs([newJob("t"), newJob("t")]);
      await schemas.admin.query(`TRUNCATE "${truncated}".scheduler_jobs`);
      expect((await own.stats()).pending).toBe(0);
      await own.createJobs([newJob("t")]);
      expect((await own.stats()).byQueue?.t).toMatchObject({ pending: 1 });
    } finally {
      await own.close();
    }
  });
});

describe("retryJobs on PostgreSQL", () => {
  it("an enqueue that takes a unique key while the retry runs leaves that job dead and moves the others", async () => {
    const queue = "retry-race";
    const [keyed, plain] = [newJob(queue, { uniqueKey: "k" }), newJob(queue)];
    await store.createJobs([keyed, plain]);
    for (const job of [keyed, plain]) await store.cancelJob(job.id, at(1));
    // An application transaction holds a job with the key, uncommitted: the retry cannot see it,
    // and its update waits on the unique index until the transaction ends.
    const client = await schemas.admin.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO "${schema}".scheduler_jobs (id, name, queue, status, scheduled_at, created_at, unique_key)
         VALUES ('holder', 'work', $1, 'pending', $2, $2, 'k')`,
        [queue, T0],
      );
      const retried = store.retryJobs({ queue }, at(2));
      await waitFor(
        async () => {
          const { rows } = await schemas.admin.query<{ n: number }>(
            `SELECT count(*)::integer AS n FROM pg_stat_activity
             WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%retry_jobs%'`,
            [store.applicationName],
          );
          return (rows[0]?.n ?? 0) > 0;
        },
        { description: "the retry waiting for the holder's transaction" },
      );
      await client.query("COMMIT");
      expect(await retried).toBe(1);
    } finally {
      client.release();
    }
    expect((await store.getJob(keyed.id))?.status).toBe("cancelled");
    expect((await store.getJob(plain.id))?.status).toBe("pending");
    expect((await store.stats()).byQueue?.[queue]).toMatchObject({ pending: 2, cancelled: 1 });
  });
});
