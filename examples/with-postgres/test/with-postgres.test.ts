import { type NodeRun, runNode } from "@sched/test-support";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);
const URL_ = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";

describe("examples/with-postgres", () => {
  let run: NodeRun;
  let lines: string[];
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 30_000 });
    lines = run.stdout.split("\n");
  });

  it("exits with code 0 by itself within 20 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.stdout).toContain("the process exits on its own");
  });

  it("refuses the duplicate unique job with a JobAlreadyExistsError", () => {
    expect(run.stdout).toMatch(/duplicate refused: JobAlreadyExistsError \(JOB_ALREADY_EXISTS\)/);
  });

  it("runs the receipt of the committed transaction, and never the rolled-back one", () => {
    expect(run.stdout).toMatch(/transaction committed: order 1 and its receipt job exist/);
    expect(run.stdout).toMatch(/transaction rolled back: job \S+ exists\? false/);
    expect(lines.filter((l) => l.includes("handler    send_receipt"))).toEqual([
      expect.stringContaining("send_receipt for order 1"),
    ]);
  });

  it("retries the failing webhook once, and wakes the worker through NOTIFY", () => {
    expect(lines.filter((l) => l.includes("handler    flaky_webhook"))).toHaveLength(2);
    const woken = /woken by NOTIFY (\d+) ms/.exec(run.stdout);
    // Without the NOTIFY, the worker would only find the job at its next poll, 30 s later.
    expect(Number(woken?.[1])).toBeLessThan(5_000);
  });

  it("fires the cron schedule once per second and reports the final counts", () => {
    const ticks = lines.filter((l) => l.includes("tick       heartbeat"));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    const json = /stats {6}(\{.*\})/.exec(run.stdout)?.[1];
    expect(JSON.parse(json ?? "null")).toMatchObject({ pending: 0, running: 0, scheduled: 1, dead: 0 });
    expect(JSON.parse(json ?? "null").completed).toBe(100 + 1 + 1 + 1 + ticks.length);
  });

  it("drops its schema at the end", async () => {
    const schema = /migrated schema "(\w+)"/.exec(run.stdout)?.[1];
    expect(schema).toMatch(/^example_[0-9a-f]{8}$/);
    const client = new pg.Client({ connectionString: URL_ });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
