import type { JobRef } from "@sched/core/adapter";
import { newJob } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const T0 = new Date("2030-01-01T00:00:00.000Z");
const LEASE = new Date(T0.getTime() + 60_000);

/**
 * Runs `call` while another session holds `change` (an UPDATE of the job's row) uncommitted, and
 * commits the change once `call` has had time to reach the row and wait for it. Returns what `call`
 * returned and the row's status afterwards.
 */
async function whileChanging<T>(
  store: PostgresStore,
  change: string,
  values: unknown[],
  call: () => Promise<T>,
): Promise<T> {
  const other = new pg.Client({ connectionString: POSTGRES_URL });
  await other.connect();
  try {
    await other.query("BEGIN");
    const { rowCount } = await other.query(
      change.replaceAll("$table", `"${store.schema}".scheduler_jobs`),
      values,
    );
    expect(rowCount).toBe(1);
    const result = call();
    // The call waits for the row lock meanwhile (a statement that did not would end first).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other.query("COMMIT");
    return await result;
  } finally {
    await other.end();
  }
}

async function runningJob(store: PostgresStore): Promise<{ id: string; attempt: number }> {
  const [job] = await store.createJobs([newJob({ name: "race", createdAt: T0, scheduledAt: T0 })]);
  const [claimed] = await store.claimDueJobs({
    now: T0,
    limit: 1,
    lockedUntil: LEASE,
    workerId: "w1",
    queues: null,
    names: ["race"],
  });
  expect(claimed?.id).toBe(job!.id);
  return { id: job!.id, attempt: claimed!.attempt };
}

describe("a call that waits for a row another transaction changes returns the row as committed", () => {
  it("cancelJob of a running job that completes meanwhile returns it completed, and cancels nothing", async () => {
    const store = schemas.store(await schemas.migrated("sched_races"));
    try {
      const { id } = await runningJob(store);
      const returned = await whileChanging(
        store,
        "UPDATE $table SET status = 'completed', completed_at = now(), locked_until = NULL, locked_by = NULL WHERE id = $1",
        [id],
        () => store.cancelJob(id, T0),
      );
      expect(returned?.status).toBe("completed");
      expect((await store.getJob(id))?.status).toBe("completed");
    } finally {
      await store.close();
    }
  });

  it("promoteJob of a scheduled job that a claim makes running meanwhile returns it running", async () => {
    const store = schemas.store(await schemas.migrated("sched_races"));
    try {
      const [job] = await store.createJobs([
        newJob({
          name: "race",
          status: "scheduled",
          createdAt: T0,
          scheduledAt: new Date(T0.getTime() + 3_600_000),
        }),
      ]);
      const returned = await whileChanging(
        store,
        "UPDATE $table SET status = 'running', attempt = attempt + 1, started_at = now(), locked_until = now() + interval '1 minute', locked_by = 'w2' WHERE id = $1",
        [job!.id],
        () => store.promoteJob(job!.id, T0),
      );
      expect(returned?.status).toBe("running");
      expect(returned?.lockedBy).toBe("w2");
    } finally {
      await store.close();
    }
  });

  it("requeueJob of a dead job that another requeue makes pending meanwhile returns it pending, not requeued again", async () => {
    const store = schemas.store(await schemas.migrated("sched_races"));
    try {
      const { id, attempt } = await runningJob(store);
      await store.failJob(
        { id, queue: "default", attempt, lockedBy: "w1" },
        { now: T0, error: "boom", retryAt: null },
      );
      expect((await store.getJob(id))?.status).toBe("dead");
      const returned = await whileChanging(
        store,
        "UPDATE $table SET status = 'pending', scheduled_at = now(), completed_at = NULL WHERE id = $1",
        [id],
        () => store.requeueJob(id, T0),
      );
      expect(returned).toMatchObject({ requeued: false, job: { id, status: "pending" } });
    } finally {
      await store.close();
    }
  });

  it("cancelJob of a job deleted meanwhile returns null", async () => {
    const store = schemas.store(await schemas.migrated("sched_races"));
    try {
      const { id } = await runningJob(store);
      await store.completeJobs([{ id, queue: "default", attempt: 1, lockedBy: "w1" }], { now: T0 });
      const returned = await whileChanging(store, "DELETE FROM $table WHERE id = $1", [id], () =>
        store.cancelJob(id, T0),
      );
      expect(returned).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe("statements that change several running jobs lock them in one order (by id)", () => {
  /**
   * Two running jobs, "a-…" and "b-…", in a table analysed while 300 jobs waited and none ran
   * (statistics on which a plan may read the index of running jobs first, in its order). "b" is
   * claimed first (a higher priority), so its row comes before "a"'s in the table and in that
   * index, while "a" comes first by id. Returns their refs by id.
   */
  async function twoRunning(store: PostgresStore): Promise<JobRef[]> {
    await store.createJobs(
      Array.from({ length: 300 }, () => newJob({ name: "bulk", createdAt: T0, scheduledAt: T0 })),
    );
    await schemas.admin.query(`ANALYZE "${store.schema}".scheduler_jobs`);
    const suffix = Math.random().toString(36).slice(2);
    await store.createJobs([
      newJob({ id: `a-${suffix}`, name: "pair", priority: 0, createdAt: T0, scheduledAt: T0 }),
      newJob({ id: `b-${suffix}`, name: "pair", priority: 10, createdAt: T0, scheduledAt: T0 }),
    ]);
    const pair = await store.claimDueJobs({
      now: T0,
      limit: 2,
      lockedUntil: LEASE,
      workerId: "w1",
      queues: null,
      names: ["pair"],
    });
    expect(pair.map((job) => job.id)).toEqual([`b-${suffix}`, `a-${suffix}`]);
    return pair
      .map((job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w1" }))
      .reverse();
  }

  /**
   * Holds a lock on the row of `first` (the first by id) in another session, starts `earlier`,
   * then `later`, each once the one before had time to reach its rows and wait, and lets go. The
   * session that waited first takes the row first; `later` must not hold the other row meanwhile.
   */
  async function afterLock<A, B>(
    store: PostgresStore,
    first: JobRef,
    earlier: () => Promise<A>,
    later: () => Promise<B>,
  ): Promise<[A, B]> {
    const other = new pg.Client({ connectionString: POSTGRES_URL });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`SELECT FROM "${store.schema}".scheduler_jobs WHERE id = $1 FOR UPDATE`, [first.id]);
      const a = earlier();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const b = later();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await other.query("COMMIT");
      return await Promise.all([a, b]);
    } finally {
      await other.end();
    }
  }

  it("a completion and a lease renewal of the same jobs do not deadlock", async () => {
    const store = schemas.store(await schemas.migrated("sched_lock_order"));
    try {
      const refs = await twoRunning(store);
      const [completed, notRenewed] = await afterLock(
        store,
        refs[0]!,
        () => store.completeJobs(refs, { now: T0 }),
        () => store.renewLeases(refs, new Date(LEASE.getTime() + 60_000)),
      );
      expect(completed).toEqual([true, true]);
      // Completed before the renewal reached them: no longer running, so not renewed.
      expect(notRenewed).toEqual(refs.map((ref) => ref.id));
    } finally {
      await store.close();
    }
  });

  it("a lease renewal and a completion of the same jobs do not deadlock", async () => {
    const store = schemas.store(await schemas.migrated("sched_lock_order"));
    try {
      const refs = await twoRunning(store);
      const lease = new Date(LEASE.getTime() + 60_000);
      const [notRenewed, completed] = await afterLock(
        store,
        refs[0]!,
        () => store.renewLeases(refs, lease),
        () => store.completeJobs(refs, { now: T0 }),
      );
      expect(notRenewed).toEqual([]);
      expect(completed).toEqual([true, true]);
    } finally {
      await store.close();
    }
  });

  it("a release and a completion of the same jobs do not deadlock", async () => {
    const store = schemas.store(await schemas.migrated("sched_lock_order"));
    try {
      const refs = await twoRunning(store);
      const [released, completed] = await afterLock(
        store,
        refs[0]!,
        () => store.releaseJobs(refs, { now: T0 }),
        () => store.completeJobs(refs, { now: T0 }),
      );
      expect(released).toEqual([true, true]);
      // Released first: the completion is fenced off.
      expect(completed).toEqual([false, false]);
      for (const ref of refs) expect((await store.getJob(ref.id))?.status).toBe("pending");
    } finally {
      await store.close();
    }
  });

  it("a completion and a release of the same jobs do not deadlock", async () => {
    const store = schemas.store(await schemas.migrated("sched_lock_order"));
    try {
      const refs = await twoRunning(store);
      const [completed, released] = await afterLock(
        store,
        refs[0]!,
        () => store.completeJobs(refs, { now: T0 }),
        () => store.releaseJobs(refs, { now: T0 }),
      );
      expect(completed).toEqual([true, true]);
      expect(released).toEqual([false, false]);
    } finally {
      await store.close();
    }
  });
});
