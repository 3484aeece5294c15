import type { NewJobRecord } from "@sched/core/adapter";
import { newJob } from "@sched/testing/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { nestedPlans, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const T0 = new Date("2030-01-01T00:00:00.000Z");

/** `count` waiting jobs of one name, inserted through the store; then the table is analysed. */
async function seeded(count: number): Promise<string> {
  const schema = await schemas.migrated("sched_stmt_plans");
  const store = schemas.store(schema);
  try {
    await store.createJobs(
      Array.from({ length: count }, () => newJob({ name: "a", createdAt: T0, scheduledAt: T0 })),
    );
  } finally {
    await store.close();
  }
  // Statistics taken while no job runs: the partial indexes of running jobs look empty.
  await schemas.admin.query(`ANALYZE "${schema}".scheduler_jobs`);
  return schema;
}

describe("the plans of enqueues and completions (migration 011)", () => {
  it("plans the insert of new jobs once per connection (a generic plan)", async () => {
    const schema = await seeded(0);
    const insert = `SELECT "${schema}".scheduler_create_jobs($1, NULL)`;
    const calls: Array<[string, unknown[]]> = [1, 2, 3].map((i) => [
      insert,
      [JSON.stringify([{ ...jobJson(`job-${i}`) }])],
    ]);
    const plans = (await nestedPlans(calls)).filter((plan) => plan.includes("WITH inserted AS"));
    expect(plans).toHaveLength(3);
    for (const plan of plans) {
      // A generic plan shows the function's variables as parameters ($n), a custom plan their values.
      expect(plan).toMatch(/json_typeof\(\$1\)/);
      expect(plan).not.toContain("job-");
    }
    const { rows } = await schemas.admin.query(
      `SELECT id, status FROM "${schema}".scheduler_jobs ORDER BY id`,
    );
    expect(rows).toEqual([1, 2, 3].map((i) => ({ id: `job-${i}`, status: "pending" })));
  });

  for (const remove of [false, true]) {
    const fn = remove ? "remove_completed_jobs" : "complete_jobs";
    it(`${fn}: finds each job by primary key in a generic plan, even when statistics say no job runs`, async () => {
      await expectRefPlans({
        fn,
        args: remove ? "$1, $2, $3, $4" : "$5, $1, $2, $3, $4",
        extra: remove ? [] : [T0],
        marker: remove ? "DELETE FROM" : "SET status = 'completed'",
        after: remove
          ? [{ status: "running", n: 100 }]
          : [
              { status: "completed", n: 200 },
              { status: "running", n: 100 },
            ],
      });
    });
  }
});

describe("the plans of lease renewals and releases (migration 018)", () => {
  it("renew_leases: finds each job by primary key in a generic plan, even when statistics say no job runs", async () => {
    const renewed = new Date(T0.getTime() + 120_000);
    const schema = await expectRefPlans({
      fn: "renew_leases",
      args: "$5, $1, $2, $3, $4",
      extra: [renewed],
      marker: "SET locked_until = lease_until",
      after: [{ status: "running", n: 300 }],
    });
    const { rows } = await schemas.admin.query(
      `SELECT locked_until = $1 AS renewed, count(*)::int AS n FROM "${schema}".scheduler_jobs GROUP BY 1 ORDER BY 1`,
      [renewed],
    );
    expect(rows).toEqual([
      { renewed: false, n: 100 },
      { renewed: true, n: 200 },
    ]);
  });

  it("release_jobs: finds each job by primary key in a generic plan, even when statistics say no job runs", async () => {
    await expectRefPlans({
      fn: "release_jobs",
      args: "$5, $1, $2, $3, $4, NULL",
      extra: [T0],
      marker: "SET status = 'pending'",
      after: [
        { status: "pending", n: 200 },
        { status: "running", n: 100 },
      ],
    });
  });
});

/**
 * Claims 300 jobs of a table analysed while they waited, then calls `fn` (a function of refs: ids,
 * queues, attempts and holders as $1-$4, then `extra` from $5) three times on one connection, with
 * 100 refs each; the third batch names the wrong holder (fenced off, nothing changes). Asserts that
 * each call's statement (the one containing `marker`) reads each job through the primary key in a
 * generic plan, in the order of the refs (the refs' function scan outside, a nested loop), and that
 * the jobs' statuses end as `after`. Returns the schema.
 */
async function expectRefPlans(options: {
  fn: string;
  args: string;
  extra: unknown[];
  marker: string;
  after: Array<{ status: string; n: number }>;
}): Promise<string> {
  const schema = await seeded(300);
  const store = schemas.store(schema);
  let claimed: Awaited<ReturnType<typeof store.claimDueJobs>>;
  try {
    claimed = await store.claimDueJobs({
      now: T0,
      limit: 300,
      lockedUntil: new Date(T0.getTime() + 60_000),
      workerId: "w1",
      queues: null,
      names: null,
    });
  } finally {
    await store.close();
  }
  expect(claimed).toHaveLength(300);
  const sql = `SELECT * FROM "${schema}".scheduler_${options.fn}(${options.args})`;
  const calls: Array<[string, unknown[]]> = [0, 1, 2].map((k) => {
    const part = claimed
      .slice(k * 100, (k + 1) * 100)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const holder = k === 2 ? "w2" : "w1";
    return [
      sql,
      [
        part.map((job) => job.id),
        part.map((job) => job.queue),
        part.map((job) => job.attempt),
        part.map(() => holder),
        ...options.extra,
      ],
    ];
  });
  const plans = (await nestedPlans(calls)).filter((plan) => plan.includes(options.marker));
  expect(plans).toHaveLength(3);
  for (const plan of plans) {
    // The refs outside, each job found inside: rows are changed (and locked) in the refs' order.
    expect(plan).toMatch(
      /Nested Loop[\s\S]*?-> {2}Function Scan on unnest[\s\S]*?-> {2}Index Scan using scheduler_jobs_pkey/,
    );
    expect(plan).not.toMatch(/jobs_lease|jobs_running_group|Hash Join|Merge Join|Seq Scan/);
    expect(plan).not.toContain(claimed[0]?.id);
  }
  const { rows } = await schemas.admin.query(
    `SELECT status, count(*)::int AS n FROM "${schema}".scheduler_jobs GROUP BY status ORDER BY status`,
  );
  expect(rows).toEqual(options.after);
  return schema;
}

describe("the waiting check of an enqueue into an idle worker (migration 014)", () => {
  it("is one claim-index descent per lane, planned once per connection, whatever the backlog of other lanes", async () => {
    // 300 waiting jobs of name "a" in queue "default", analysed: statistics on which a custom plan
    // costs less than a generic one, on which a generic EXISTS planned for its first row reads
    // them all through jobs_list_status, and on which (one queue seen) a queue matched by
    // equality cannot tell claim_queue_name from claim_name filtered by queue.
    const schema = await seeded(300);
    const lease = new Date(T0.getTime() + 60_000);
    const cases = [
      { queues: null, names: ["b"], index: "claim_name", direct: true },
      // Jobs of "a" wait in scope: the enqueue goes the general way.
      { queues: null, names: null, index: "claim_name", direct: false },
      { queues: ["other"], names: ["b"], index: "claim_queue_name", direct: true },
      // Jobs of "a" wait in the queue, none of "b": the descent is bounded by the name too.
      { queues: ["default"], names: ["b"], index: "claim_queue_name", direct: true },
      { queues: ["other"], names: null, index: "claim_queue_name", direct: true },
      // Jobs of "a" wait in the queue: the general way.
      { queues: ["default"], names: null, index: "claim_queue_name", direct: false },
    ];
    for (const [k, { queues, names, index, direct }] of cases.entries()) {
      const enqueue = `SELECT id, status FROM "${schema}".scheduler_create_jobs_and_claim($1, NULL, $2, 10, $3, 'w1', $4, $5)`;
      const queue = queues?.[0] ?? "other";
      const calls: Array<[string, unknown[]]> = [1, 2, 3, 4, 5, 6, 7].map((i) => [
        enqueue,
        [JSON.stringify([{ ...jobJson(`b-${k}-${i}`), name: "b", queue }]), T0, lease, queues, names],
      ]);
      // The check's statement (the only one ordered like a claim index, LIMIT 1, per lane).
      const statement =
        /Query Text: SELECT FROM (unnest\((job|queue)_names\)|\S+scheduler_jobs" AS j\s+WHERE j\.status IN \('scheduled', 'pending', 'failed'\)\s+ORDER BY j\.name,)/;
      const plans = (await nestedPlans(calls)).filter((plan) => statement.test(plan));
      expect([k, plans.length]).toEqual([k, 7]);
      for (const plan of plans) {
        expect([k, plan]).not.toEqual([k, expect.stringMatching(/list_status|Sort|Seq Scan|Filter/)]);
        expect([k, plan]).toEqual([
          k,
          expect.stringMatching(
            new RegExp(`Limit[^\\n]*\\n[^\\n]*\\n\\s*-> {2}Index Only Scan using scheduler_jobs_${index} `),
          ),
        ]);
        if (queues !== null && names === null) {
          expect([k, plan]).toEqual([
            k,
            expect.stringContaining("Index Cond: ((j.queue >= q.queue) AND (j.queue <= q.queue))"),
          ]);
        }
        if (queues !== null && names !== null) {
          expect([k, plan]).toEqual([
            k,
            expect.stringMatching(
              /Index Cond: \(\(j\.queue >= q\.queue\) AND \(j\.queue = q\.queue\) AND \(j\.name = n\.name\)\)/,
            ),
          ]);
        }
        // A generic plan shows the function's arguments as parameters ($n), a custom plan their values.
        expect([k, plan]).not.toEqual([k, expect.stringMatching(/\{(b|other|default)\}/)]);
        if (names !== null || queues !== null) {
          expect([k, plan]).toEqual([k, expect.stringMatching(/Function Call: unnest\(\$\d\)/)]);
        }
      }
      const { rows } = await schemas.admin.query(
        `SELECT status, count(*)::int AS n FROM "${schema}".scheduler_jobs WHERE id LIKE $1 GROUP BY 1`,
        [`b-${k}-%`],
      );
      // Claimed in the insert's own statement, or left waiting behind the jobs of "a".
      expect([k, rows]).toEqual([k, [{ status: direct ? "running" : "pending", n: 7 }]]);
    }
  });
});

/** The ids of one claim of up to 10 jobs of `names` from queue "ctl" at T0, by a store of its own. */
async function claimedIds(schema: string, names: string[]): Promise<string[]> {
  const store = schemas.store(schema);
  try {
    const claimed = await store.claimDueJobs({
      now: T0,
      limit: 10,
      lockedUntil: new Date(T0.getTime() + 60_000),
      workerId: "w1",
      queues: ["ctl"],
      names,
    });
    return claimed.map((job) => job.id);
  } finally {
    await store.close();
  }
}

describe("claims from a controlled queue (migration 015)", () => {
  /**
   * A controlled queue "ctl" holding 300 waiting jobs of name "a" in group "g1" and 300 without
   * group, analysed (one group and one name seen: statistics on which an equality on the group or
   * the name tells no index from another), plus `extra`.
   */
  async function controlled(extra: NewJobRecord[]): Promise<string> {
    const schema = await schemas.migrated("sched_ctl_plans");
    const store = schemas.store(schema);
    try {
      await store.updateQueue("ctl", { concurrency: 1000 }, T0);
      const at = { createdAt: T0, scheduledAt: T0, queue: "ctl", name: "a" };
      await store.createJobs([
        ...Array.from({ length: 300 }, () => newJob({ ...at, group: "g1" })),
        ...Array.from({ length: 300 }, () => newJob(at)),
      ]);
      if (extra.length > 0) await store.createJobs(extra);
    } finally {
      await store.close();
    }
    await schemas.admin.query(`ANALYZE "${schema}".scheduler_jobs`);
    return schema;
  }

  it("reads one lane per name for the jobs without group and for each group, never the jobs of other names", async () => {
    const at = { createdAt: T0, scheduledAt: T0, queue: "ctl", name: "b" };
    const b = [
      newJob({ ...at, id: "b-1", priority: 1 }),
      newJob({ ...at, id: "b-2" }),
      newJob({ ...at, id: "b-3", group: "g1" }),
      newJob({ ...at, id: "b-4", group: "g1" }),
    ];
    const schema = await controlled(b);
    const claim = `SELECT id FROM "${schema}".scheduler_claim_due_jobs($1, 10, $2, 'w1', $3, ARRAY['b', 'b'])`;
    const lease = new Date(T0.getTime() + 60_000);
    const calls: Array<[string, unknown[]]> = [];
    for (const queues of [["ctl"], null]) {
      calls.push(["BEGIN", []], [claim, [T0, lease, queues]], ["ROLLBACK", []]);
    }
    const plans = await nestedPlans(calls);
    const ungroupedHead = plans.filter((plan) =>
      /j\.group_key IS NULL AND j\.name = n\.name[\s\S]*LIMIT 1\n\s+\) AS l/.test(plan),
    );
    const rotation = plans.filter((plan) => plan.includes("rotation_member"));
    const rounds = plans.filter((plan) => plan.includes("array_agg(p.id ORDER BY p.round, p.rank)"));
    expect([ungroupedHead.length, rotation.length, rounds.length]).toEqual([2, 4, 2]);
    for (const plan of [...ungroupedHead, ...rounds]) {
      expect(plan).toMatch(
        /Index Only Scan using scheduler_jobs_claim_group_name[^\n]*\n[^\n]*\n\s*Index Cond: \(\(j(_\d)?\.queue = \$\d+\) AND \(j(_\d)?\.group_key IS NULL\) AND \(j(_\d)?\.name = n(_\d)?\.name\)/,
      );
    }
    for (const plan of [...rotation, ...rounds]) {
      expect(plan).toMatch(
        /Index Only Scan using scheduler_jobs_claim_group_name[^\n]*\n[^\n]*\n\s*Index Cond: \(\(j(_\d)?\.queue = \$\d+\) AND \(j(_\d)?\.group_key >= [sm]\.group_key\) AND \(j(_\d)?\.group_key = [sm]\.group_key\) AND \(j(_\d)?\.name = n(_\d)?\.name\)/,
      );
    }
    for (const plan of [...ungroupedHead, ...rotation, ...rounds]) {
      // No job is read to be filtered by its name, and no whole lane is read.
      expect(plan).not.toMatch(/Filter: [^\n]*\.name\b|Seq Scan|claim_queue_name|jobs_list_/);
    }
    // The claim itself: the two members alternate, each in its own order, every job once.
    expect(await claimedIds(schema, ["b", "b"])).toEqual(["b-1", "b-3", "b-2", "b-4"]);
  });

  it("a claim for any name takes the same jobs in the same order as one naming every name", async () => {
    // Two identical queues of jobs of three names, with and without groups and priorities.
    const jobs = (prefix: string): NewJobRecord[] =>
      Array.from({ length: 60 }, (_, i) =>
        newJob({
          id: `${prefix}-${String(i).padStart(2, "0")}`,
          queue: "ctl",
          name: ["a", "b", "c"][i % 3] as string,
          group: i % 4 === 0 ? null : `g${i % 5}`,
          priority: i % 7 === 0 ? 5 : 0,
          createdAt: T0,
          scheduledAt: new Date(T0.getTime() + (i % 11)),
        }),
      );
    const orders: string[][] = [];
    // Three names (a lane each), and the same with seven names no job has (more than eight names:
    // the lanes of the names waiting in each group, migration 016).
    const many = ["c", "a", "b", ...Array.from({ length: 7 }, (_, i) => `absent-${i}`)];
    for (const names of [null, ["c", "a", "b"], many]) {
      const schema = await controlled([]);
      const store = schemas.store(schema);
      try {
        await store.createJobs(jobs("x"));
        const order: string[] = [];
        for (;;) {
          const claimed = await store.claimDueJobs({
            now: new Date(T0.getTime() + 100),
            limit: 7,
            lockedUntil: new Date(T0.getTime() + 60_000),
            workerId: "w1",
            queues: ["ctl"],
            names,
          });
          if (claimed.length === 0) break;
          order.push(...claimed.map((job) => job.id));
          await store.completeJobs(
            claimed.map((job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w1" })),
            { now: new Date(T0.getTime() + 100) },
          );
        }
        orders.push(order.filter((id) => id.startsWith("x-")));
      } finally {
        await store.close();
      }
    }
    expect(orders[0]).toHaveLength(60);
    expect(new Set(orders[0]).size).toBe(60);
    expect(orders[0]).toEqual(orders[1]);
    expect(orders[2]).toEqual(orders[1]);
  });
});

describe("claims from a controlled queue by a worker of many names (migration 016)", () => {
  /** Names no job has, after `first`: a worker registering `count` names in all. */
  const registered = (first: string, count: number): string[] => [
    first,
    ...Array.from({ length: count - 1 }, (_, i) => `other-${String(i).padStart(3, "0")}`),
  ];

  it("finds which of its names wait in the queue with one descent of jobs_claim_queue_name each, never reading a job to filter it by name", async () => {
    const schema = await schemas.migrated("sched_many_names_plans");
    const store = schemas.store(schema);
    try {
      await store.updateQueue("ctl", { concurrency: 1000 }, T0);
      const at = { createdAt: T0, scheduledAt: T0, queue: "ctl" };
      await store.createJobs([
        ...Array.from({ length: 300 }, () => newJob({ ...at, name: "a", group: "g1" })),
        ...Array.from({ length: 300 }, () => newJob({ ...at, name: "other-005x" })),
        newJob({ ...at, id: "b-1", name: "b", group: "g2", priority: 1 }),
        newJob({ ...at, id: "b-2", name: "b", group: "g2" }),
        newJob({ ...at, id: "b-3", name: "b", group: "g3" }),
      ]);
    } finally {
      await store.close();
    }
    await schemas.admin.query(`ANALYZE "${schema}".scheduler_jobs`);
    const names = registered("b", 12);
    const claim = `SELECT id FROM "${schema}".scheduler_claim_due_jobs($1, 10, $2, 'w1', ARRAY['ctl'], $3)`;
    const lease = new Date(T0.getTime() + 60_000);
    const plans = await nestedPlans([
      ["BEGIN", []],
      [claim, [T0, lease, names]],
      ["ROLLBACK", []],
    ]);
    const look = plans.filter((plan) => plan.includes("FROM (SELECT DISTINCT u.name FROM unnest(job_names)"));
    expect(look).toHaveLength(1);
    // One descent per name ("b" and eleven names no job has; 300 jobs of "other-005x" and 300
    // of "a" wait beside them), bounded by the queue and the name.
    expect(look[0]).toMatch(
      /Index Only Scan using scheduler_jobs_claim_queue_name[^\n]*\n[^\n]*\n\s*Index Cond: \(\(j\.queue >?= \$\d+\) AND \(j\.queue >?= \$\d+\) AND \(j\.name = [nu]\.name\)\)/,
    );
    expect(look[0]).not.toMatch(/Filter:|Seq Scan|claim_name |jobs_list_/);
    expect(await claimedIds(schema, names)).toEqual(["b-1", "b-3", "b-2"]);
  });

  /** Shared buffers a claim of up to 100 jobs of `names` from queue "ctl" reads (its second run, rolled back). */
  async function claimBuffers(schema: string, names: string[]): Promise<number> {
    const client = await schemas.admin.connect();
    try {
      let hits = 0;
      // Twice, the second counted: the first plans the statements and reads the catalogs.
      for (let round = 0; round < 2; round++) {
        await client.query("BEGIN");
        const { rows } = await client.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, BUFFERS, COSTS false, TIMING false, FORMAT TEXT)
           SELECT id FROM "${schema}".scheduler_claim_due_jobs($1, 100, $2, 'w1', ARRAY['ctl'], $3)`,
          [T0, new Date(T0.getTime() + 60_000), names],
        );
        await client.query("ROLLBACK");
        const line = rows
          .map((row) => row["QUERY PLAN"])
          .find((text) => /Buffers: shared hit=\d+/.test(text));
        hits = Number(/shared hit=(\d+)/.exec(line ?? "")?.[1] ?? Number.NaN);
      }
      return hits;
    } finally {
      client.release();
    }
  }

  /** A controlled queue "ctl" of 400 jobs of name "a" in 200 groups, analysed. */
  async function twoHundredGroups(label: string): Promise<string> {
    const schema = await schemas.migrated(label);
    const store = schemas.store(schema);
    try {
      await store.updateQueue("ctl", { concurrency: 1000 }, T0);
      const at = { createdAt: T0, scheduledAt: T0, queue: "ctl", name: "a" };
      await store.createJobs(
        Array.from({ length: 400 }, (_, i) =>
          newJob({ ...at, group: `g${String(i % 200).padStart(3, "0")}` }),
        ),
      );
    } finally {
      await store.close();
    }
    await schemas.admin.query(`ANALYZE "${schema}".scheduler_jobs`);
    return schema;
  }

  it("an empty claim, none of whose names waits in the queue, reads a few pages instead of every group", async () => {
    const schema = await twoHundredGroups("sched_many_names_empty");
    const empty = await claimBuffers(schema, ["b"]);
    const full = await claimBuffers(schema, ["a"]);
    // The full claim walks the 200 groups (with a lane each); the empty one only looks for "b".
    expect(full).toBeGreaterThan(400);
    expect(empty).toBeLessThan(40);
    expect(await claimedIds(schema, ["b", "c"])).toEqual([]);
    expect(await claimedIds(schema, ["b", "a"])).toHaveLength(10);
  });

  it("a claim reads as much of the table for a worker of 300 names as for one of 9, when the groups hold one", async () => {
    const schema = await twoHundredGroups("sched_many_names_cost");
    const few = await claimBuffers(schema, registered("a", 9));
    const many = await claimBuffers(schema, registered("a", 300));
    expect(few).toBeGreaterThan(0);
    // One lane per registered name in each of the 100 groups visited would be 29,100 more descents.
    expect(many).toBeLessThan(few * 1.5);
  });
});

describe("the store's functions run without JIT (migration 013)", () => {
  it("a claim compiles nothing even where every statement's cost passes jit_above_cost", async (ctx) => {
    const schema = await seeded(300);
    // JIT must be there to be turned off: a plain statement of the same session compiles.
    const control = await nestedPlans([
      ["SET jit_above_cost = 0", []],
      ["SELECT sum(i) FROM generate_series(1, 10) AS i", []],
    ]);
    if (!control.some((plan) => plan.includes("JIT:"))) {
      ctx.skip("this PostgreSQL server has no JIT (llvmjit) to turn off");
      return;
    }
    const claim = `SELECT * FROM "${schema}".scheduler_claim_due_jobs($1, 100, $2, 'w1', NULL, NULL)`;
    const plans = await nestedPlans([
      ["SET jit_above_cost = 0", []],
      [claim, [T0, new Date(T0.getTime() + 60_000)]],
    ]);
    // The statements the functions run (the call itself is the test's own, in its session).
    const nested = plans.filter((plan) => !plan.includes("scheduler_claim_due_jobs($1"));
    expect(nested.some((plan) => plan.includes("UPDATE") && plan.includes("scheduler_jobs"))).toBe(true);
    for (const plan of nested) expect(plan).not.toContain("JIT:");
    const { rows } = await schemas.admin.query<{ name: string; config: string[] | null }>(
      `SELECT p.proname AS name, p.proconfig AS config FROM pg_proc AS p
       JOIN pg_language AS l ON l.oid = p.prolang
       WHERE p.pronamespace = $1::regnamespace AND l.lanname = 'plpgsql' ORDER BY p.proname`,
      [schema],
    );
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((row) => !(row.config ?? []).includes("jit=off")).map((row) => row.name)).toEqual([]);
  });
});

describe("migration 013 names the store's own functions", () => {
  it("a store whose prefix starts another's migrates beside it, and the application's functions keep their settings", async () => {
    const schema = schemas.name("sched_jit_prefixes");
    await schemas.admin.query(`CREATE SCHEMA "${schema}"`);
    // An application's function that shares the prefix.
    await schemas.admin.query(
      `CREATE FUNCTION "${schema}".a_audit() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$`,
    );
    const stores = ["a_", "a_b_"].map((tablePrefix) => schemas.store(schema, { tablePrefix }));
    try {
      // At the same time: each migration takes the lock of its own prefix only.
      await Promise.all(stores.map((store) => store.migrate()));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    const { rows } = await schemas.admin.query<{ name: string; config: string[] | null }>(
      `SELECT p.proname AS name, p.proconfig AS config FROM pg_proc AS p
       JOIN pg_language AS l ON l.oid = p.prolang
       WHERE p.pronamespace = $1::regnamespace AND l.lanname = 'plpgsql'`,
      [schema],
    );
    expect(rows.find((row) => row.name === "a_audit")?.config).toBeNull();
    const store = rows.filter((row) => row.name !== "a_audit");
    expect(store.length).toBe(50);
    expect(store.filter((row) => !(row.config ?? []).includes("jit=off"))).toEqual([]);
  });
});

/** One new job as a JSON object of new_job_rows() (009_direct_start.sql). */
function jobJson(id: string): Record<string, unknown> {
  return {
    id,
    name: "a",
    queue: "default",
    status: "pending",
    priority: 0,
    payload: {},
    metadata: {},
    max_retries: 0,
    timeout_ms: 1000,
    scheduled_at: T0.toISOString(),
    created_at: T0.toISOString(),
    unique_key: null,
    group_key: null,
  };
}
