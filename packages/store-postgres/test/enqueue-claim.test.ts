import { createScheduler, uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import { newJob } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
const nextId = uuidv7Generator();
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
      const job = JSON.stringify([
        {
          id: nextId(),
          name: "sync",
          queue: "default",
          status: "pending",
          priority: 0,
          payload: null,
          metadata: {},
          max_retries: 0,
          timeout_ms: 0,
          scheduled_at: T0.toISOString(),
          created_at: T0.toISOString(),
          unique_key: null,
          group_key: null,
        },
      ]);
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
      await waitFor(() => claims > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
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
});
