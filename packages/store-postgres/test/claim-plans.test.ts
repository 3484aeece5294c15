import { newJob } from "@sched/testing/conformance";
import { afterAll, describe, expect, it } from "vitest";
import { nestedPlans, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

const T0 = new Date("2030-01-01T00:00:00.000Z");

/** The plans of `sql` run `times` times on one connection (see nestedPlans). */
const repeatedPlans = (sql: string, values: unknown[], times: number) =>
  nestedPlans(Array.from({ length: times }, () => [sql, values] as const));

/** The plans of the claim's UPDATE among `plans`. */
const updates = (plans: string[]) => plans.filter((plan) => plan.includes("SET status = 'running'"));

describe("the plans of claims (migration 010)", () => {
  it("plans a claim from every queue once per connection (a generic plan), with the claimed rows read by address (migration 017)", async () => {
    const schema = await schemas.migrated("sched_plans");
    const store = schemas.store(schema);
    try {
      await store.createJobs(
        Array.from({ length: 60 }, (_, i) =>
          newJob({ name: i % 2 ? "a" : "b", createdAt: T0, scheduledAt: T0 }),
        ),
      );
    } finally {
      await store.close();
    }
    const claim = `SELECT id FROM "${schema}".scheduler_claim_due_jobs($1, 5, $2, 'w1', NULL, $3)`;
    const lease = new Date(T0.getTime() + 60_000);
    for (const names of [["a"], ["a", "b"], null]) {
      const plans = updates(await repeatedPlans(claim, [T0, lease, names], 3));
      expect(plans).toHaveLength(3);
      for (const plan of plans) {
        // A generic plan shows the function's variables as parameters ($n), a custom plan their values.
        expect(plan).toMatch(/scheduled_at <= \$\d/);
        expect(plan).not.toMatch(/'a'::text|'2030-01-01/);
        expect(plan).not.toMatch(/Hash Join|Merge Join|Seq Scan/);
        // The rows the claim locked are updated through their ctid, not found again by id.
        expect(plan).toMatch(/Tid Scan on (\S+\.)?scheduler_jobs j\b/);
        expect(plan).not.toContain("scheduler_jobs_pkey");
      }
    }
  });

  it("keeps custom plans for a claim from named queues (planned with the call's values), the rows read by address", async () => {
    const schema = await schemas.migrated("sched_plans");
    const store = schemas.store(schema);
    try {
      await store.createJobs(
        Array.from({ length: 20 }, () => newJob({ name: "a", createdAt: T0, scheduledAt: T0 })),
      );
    } finally {
      await store.close();
    }
    const claim = `SELECT id FROM "${schema}".scheduler_claim_due_jobs($1, 5, $2, 'w1', $3, $4)`;
    const plans = updates(
      await repeatedPlans(claim, [T0, new Date(T0.getTime() + 60_000), ["default"], ["a"]], 2),
    );
    expect(plans).toHaveLength(2);
    for (const plan of plans) {
      expect(plan).toMatch(/scheduled_at <= '2030-01-01/);
      expect(plan).toMatch(/Tid Scan on (\S+\.)?scheduler_jobs j\b/);
      expect(plan).not.toContain("scheduler_jobs_pkey");
    }
  });
});
