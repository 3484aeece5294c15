import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it, type TestContext } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

describe("examples/with-mongodb", () => {
  let run: NodeRun;
  let lines: string[];
  let skipped: boolean;
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 40_000 });
    lines = run.stdout.split("\n");
    skipped = run.stdout.startsWith("skipped:");
  });

  /** Skips a test of the example's story, by name, when no MongoDB answered. */
  const needsServer = (test: TestContext): void => {
    if (skipped) test.skip("no MongoDB server answered (set SCHED_MONGODB_URL)");
  };

  it("exits with code 0 by itself, having run or said that it skipped", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/the process exits on its own|^skipped: no MongoDB server answered/);
  });

  it("refuses the duplicate unique job with a JobAlreadyExistsError", (test) => {
    needsServer(test);
    expect(run.stdout).toMatch(/duplicate refused: JobAlreadyExistsError \(JOB_ALREADY_EXISTS\)/);
  });

  it("retries the failing webhook once", (test) => {
    needsServer(test);
    expect(lines.filter((l) => l.includes("handler    flaky_webhook"))).toHaveLength(2);
  });

  it("elects one leader of the two instances, which fires each tick once", (test) => {
    needsServer(test);
    expect(run.stdout).toMatch(/leader {5}[ab] \(term \d+\)/);
    const ticks = lines
      .filter((l) => l.includes("tick       heartbeat"))
      .map((l) => l.slice(l.indexOf("tick")));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it("reports the final counts and drops its database", (test) => {
    needsServer(test);
    const json = /stats {6}(\{.*\})/.exec(run.stdout)?.[1];
    expect(JSON.parse(json ?? "null")).toMatchObject({ pending: 0, running: 0, scheduled: 1, dead: 0 });
    expect(run.stdout).toMatch(/database "example_[0-9a-f]{8}" dropped/);
  });
});
