import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

describe("examples/with-redis", () => {
  let run: NodeRun;
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 30_000 });
  });

  it("exits with code 0 by itself within 20 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.stdout).toContain("the process exits on its own");
  });

  it("shows the bulk enqueue, the refused unique job, the retry, the wake-up, the cron tick and cleanup", () => {
    expect(run.stdout).toContain("100 bulk-enqueued jobs ran");
    expect(run.stdout).toMatch(/uniqueKey "nightly-resize" was refused \(JOB_ALREADY_EXISTS\)/);
    expect(run.stdout).toContain("flaky job succeeded on attempt 2");
    expect(run.stdout).toContain("started through a wake-up");
    expect(run.stdout).toMatch(/cron tick for \d{4}-/);
    expect(run.stdout).toMatch(/cleanup removed \d+ finished jobs/);
  });
});
