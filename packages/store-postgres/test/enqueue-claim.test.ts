import { createScheduler } from "@sched/core";
import { waitFor } from "@sched/testing";
import { newJob } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newJobsJson } from "../src/rows.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
const T0 = new Date("2030-01-01T00:00:00.000Z");

beforeAll(async () => {
  schema = await schemas.migrated("sched_enqclaim");
});
afterAll(() => schemas.dropAll());

describe("createJobsAndClaim on PostgreSQL", () => {
  it("commits the new jobs with the server's synchronous_commit, though the claim alone turns it off", async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query("BEGIN");
      // Two jobs: the insert-then-claim way (one job alone may be inserted running, see below).
      const job = newJobsJson(
        [0, 1].map(() =>
          newJob({ name: "sync", payload: null, maxRetries: 0, timeout: 0, scheduledAt: T0, createdAt: T0 }),
        ),
      );
      const { rows } = await client.query(
        `SELECT id, status FROM "${schema}"."scheduler_create_jobs_and_claim"($1, NULL, $2, 1, $3, 'w', NULL, NULL)`,
        [job, T0.toISOString(), new Date(T0.getTime() + 60_000).toISOString()],
      );
      expect(rows.map((row) => row.status)).toEqual(["running"]);
      const { rows: setting } = await client.query("SHOW synchronous_commit");
      expect(setting[0]?.synchronous_commit).toBe("on");
      // A plain claim in the same transaction turns it off: the function above put it back.
      await client.query(`SELECT * FROM "${schema}"."scheduler_claim_jobs"($1, 1, $2, 'w', NULL)`, [
        T0.toISOString(),
        new Date(T0.getTime() + 60_000).toISOString(),
      ]);
      const { rows: after } = await client.query("SHOW synchronous_commit");
      expect(after[0]?.synchronous_commit).toBe("off");
    } finally {
      await client.query("ROLLBACK").catch(() => {});
      await client.end();
    }
  });

  it("an enqueue into idle workers starts the job with no claim of the claim loop and no NOTIFY", async () => {
    const store = schemas.store(schema);
    let claims = 0;
    const claim = store.claimDueJobs.bind(store);
    store.claimDueJobs = (options) => {
      claims++;
      return claim(options);
    };
    // The claim loop is idle once the nextDueAt after its first claim has been answered.
    let looked = 0;
    const nextDueAt = store.nextDueAt.bind(store);
    store.nextDueAt = async (options) => {
      const due = await nextDueAt(options);
      looked++;
      return due;
    };
    const s = createScheduler({ store, workers: 4 });
    let claimsAtStart = -1;
    const started: string[] = [];
    s.register("idle", async (job) => {
      claimsAtStart = claims;
      started.push(job.id);
    });
    const listener = new pg.Client({ connectionString: POSTGRES_URL });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (message) => heard.push(message.payload ?? ""));
    try {
      await s.start();
      await waitFor(() => claims > 0 && looked > 0);
      const channel = (store as unknown as { channel: string | null }).channel;
      expect(channel).toEqual(expect.any(String));
      await listener.query(`LISTEN "${channel}"`);
      const before = claims;
      const job = await s.enqueue({ name: "idle", queue: "quiet" });
      await waitFor(() => started.length === 1);
      expect(started).toEqual([job.id]);
      expect(claimsAtStart).toBe(before);
      // A job left waiting (no handler here) is announced as before.
      await s.enqueue({ name: "elsewhere", queue: "loud" });
      await waitFor(() => heard.some((payload) => payload.includes("loud")), { timeout: 5_000 });
      expect(heard.some((payload) => payload.includes("quiet"))).toBe(false);
    } finally {
      await listener.end();
      await s.stop();
      await store.close();
    }
  });

  it("a held unique key inserts nothing and leaves the waiting jobs unclaimed", async () => {
    const store = schemas.store(schema);
    try {
      const holder = newJob({ uniqueKey: "pg-key", queue: "keys" });
      await store.createJobs([holder]);
      const clash = newJob({ uniqueKey: "pg-key", queue: "keys" });
      await expect(
        store.createJobsAndClaim([clash], {
          queues: ["keys"],
          names: null,
          limit: 5,
          now: T0,
          lockedUntil: new Date(T0.getTime() + 60_000),
          workerId: "w",
        }),
      ).rejects.toMatchObject({ code: "JOB_ALREADY_EXISTS", existingJobId: holder.id });
      expect((await store.getJob(holder.id))?.status).toBe("pending");
      expect(await store.getJob(clash.id)).toBeNull();
    } finally {
      await store.close();
    }
  });

  describe("one new job the claim would hand out alone is inserted running (migration 009)", () => {
    const LEASE = new Date(T0.getTime() + 60_000);

    /** Calls create_jobs_and_claim for `job` in a transaction; returns the row and its count changes. */
    async function createAndClaimOne(
      job: ReturnType<typeof newJob>,
      claim: { queues?: string[] | null; names?: string[] | null; limit?: number; before?: string } = {},
    ): Promise<{ rows: Record<string, unknown>[]; deltas: [string, number][]; commit: string }> {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query("BEGIN");
        if (claim.before !== undefined) await client.query(claim.before);
        const json = newJobsJson([job]);
        const { rows } = await client.query(
          `SELECT * FROM "${schema}"."scheduler_create_jobs_and_claim"($1, NULL, $2, $3, $4, 'w-1', $5, $6)`,
          [
            json,
            T0.toISOString(),
            claim.limit ?? 10,
            LEASE.toISOString(),
            claim.queues ?? null,
            claim.names ?? null,
          ],
        );
        const { rows: deltas } = await client.query(
          `SELECT status, n::int FROM "${schema}"."scheduler_job_count_deltas" WHERE queue = $1 ORDER BY status, n`,
          [job.queue],
        );
        const { rows: setting } = await client.query("SHOW synchronous_commit");
        return {
          rows,
          deltas: deltas.map((row) => [row.status, row.n]),
          commit: setting[0]?.synchronous_commit,
        };
      } finally {
        await client.query("ROLLBACK").catch(() => {});
        await client.end();
      }
    }

    /** The columns of a claimed row that do not depend on the job's id or queue. */
    function comparable(row: Record<string, unknown> | undefined): Record<string, unknown> {
      const { id: _id, queue: _queue, ...rest } = row ?? {};
      return rest;
    }

    it("one row version and one count change, the same row the insert-then-claim way gives", async () => {
      const fields = { name: "direct", payload: { a: [1, "x"] }, metadata: { trace: "t" }, priority: 3 };
      const direct = await createAndClaimOne(newJob({ ...fields, queue: "direct-a" }), { names: ["direct"] });
      expect(direct.rows.map((row) => [row.status, row.attempt])).toEqual([["running", 1]]);
      expect(direct.deltas).toEqual([["running", 1]]);
      // The insert commits with the server's synchronous_commit: the new job is durable.
      expect(direct.commit).toBe("on");

      // A job due later waiting in the claim's scope sends the same input the general way.
      const general = await createAndClaimOne(newJob({ ...fields, queue: "direct-b" }), {
        names: ["direct"],
        before: `INSERT INTO "${schema}"."scheduler_jobs" (id, name, queue, status, scheduled_at, created_at)
          VALUES ('waits-later', 'direct', 'direct-c', 'scheduled', '2031-01-01', now())`,
      });
      expect(general.deltas).toEqual([
        ["pending", -1],
        ["pending", 1],
        ["running", 1],
      ]);
      expect(comparable(direct.rows[0])).toEqual(comparable(general.rows[0]));
      expect(direct.rows[0]).toMatchObject({
        locked_by: "w-1",
        started_at: T0,
        locked_until: LEASE,
        payload: { a: [1, "x"] },
        metadata: { trace: "t" },
      });
    });

    it("goes the general way for a job due later, in a group, outside the claim, or in a queue with a row", async () => {
      const cases: [string, ReturnType<typeof newJob>, Parameters<typeof createAndClaimOne>[1]][] = [
        [
          "due later",
          newJob({ queue: "g-1", status: "scheduled", scheduledAt: new Date(T0.getTime() + 1) }),
          {},
        ],
        ["in a group", newJob({ queue: "g-2", group: "tenant" }), {}],
        ["another name", newJob({ queue: "g-3" }), { names: ["not-this-one"] }],
        ["another queue", newJob({ queue: "g-4" }), { queues: ["not-this-one"] }],
        [
          "queue with a row",
          newJob({ queue: "g-5" }),
          { before: `INSERT INTO "${schema}"."scheduler_queues" (name) VALUES ('g-5')` },
        ],
        ["limit 0", newJob({ queue: "g-6" }), { limit: 0 }],
      ];
      for (const [label, job, claim] of cases) {
        const { deltas } = await createAndClaimOne(job, claim);
        expect([label, deltas.some(([status, n]) => status !== "running" && n > 0)]).toEqual([label, true]);
      }
    });

    it("a waiting job elsewhere (another name, another queue) does not stop the direct way", async () => {
      const before = `INSERT INTO "${schema}"."scheduler_jobs" (id, name, queue, status, scheduled_at, created_at)
        VALUES ('other-1', 'other-name', 'scope-q', 'pending', '2029-01-01', now()),
               ('other-2', 'scoped', 'other-q', 'pending', '2029-01-01', now())`;
      const byName = await createAndClaimOne(newJob({ name: "scoped", queue: "scope-q" }), {
        names: ["scoped"],
        queues: ["scope-q"],
        before,
      });
      expect(byName.deltas).toEqual([
        ["pending", 1],
        ["running", 1],
      ]);
      expect(byName.rows.map((row) => row.name)).toEqual(["scoped"]);
    });
  });
});

describe("the direct way's look for waiting jobs after a backlog drained (stale statistics)", () => {
  it("descends an index, never reads the table: no sequential scan of the jobs table", async () => {
    const stale = await schemas.migrated("sched_enqclaim_stale");
    const table = `"${stale}"."scheduler_jobs"`;
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // Statistics taken while 30,000 jobs waited, then the backlog finished; autovacuum kept
      // from analysing again, as it would be until its next round.
      await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      await client.query(
        `INSERT INTO ${table} (id, name, queue, status, scheduled_at, created_at)
         SELECT 'b' || g, 'work', 'q' || (g % 4), 'pending', now() - interval '1 hour', now()
         FROM generate_series(1, 30000) AS g`,
      );
      await client.query(`ANALYZE ${table}`);
      await client.query(`UPDATE ${table} SET status = 'completed', completed_at = now()`);
      await client.query(`VACUUM ${table}`);

      const lease = new Date(T0.getTime() + 60_000).toISOString();
      for (const [queues, names] of [
        [null, ["work"]],
        [["q1"], ["work"]],
        [["q1"], null],
        [null, null],
      ] as const) {
        await client.query("BEGIN");
        try {
          // The view holds this session's counts not yet flushed: compare before and after.
          const scansOf = async (): Promise<number> => {
            const { rows: scans } = await client.query(
              `SELECT seq_scan::int AS seq FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = 'scheduler_jobs'`,
              [stale],
            );
            return scans[0]?.seq ?? 0;
          };
          const before = await scansOf();
          const job = newJob({ name: "work", queue: "q1" });
          const json = newJobsJson([{ ...job, scheduledAt: T0, createdAt: T0, payload: null }]);
          const { rows } = await client.query(
            `SELECT id, status FROM "${stale}"."scheduler_create_jobs_and_claim"($1, NULL, $2, 5, $3, 'w', $4, $5)`,
            [json, T0.toISOString(), lease, queues, names],
          );
          expect(rows).toEqual([{ id: job.id, status: "running" }]);
          expect([queues, names, (await scansOf()) - before]).toEqual([queues, names, 0]);
        } finally {
          await client.query("ROLLBACK");
        }
      }
    } finally {
      await client.end();
    }
  });
});
