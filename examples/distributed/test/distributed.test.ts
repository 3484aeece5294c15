import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

describe("examples/distributed", () => {
  let run: NodeRun;
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 60_000 });
  }, 70_000);

  it("exits with code 0 by itself, having stopped every instance", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("every instance stopped");
    expect(run.stdout).toContain("the process exits on its own");
  });

  it("elects one leader, whose ticks each run once", () => {
    const leaders = /leaders {4}(.*)/.exec(run.stdout)?.[1]?.split(", ") ?? [];
    expect(leaders).toHaveLength(1);
    const [, runs, distinct] = /ticks {6}(\d+) runs, (\d+) distinct ticks/.exec(run.stdout) ?? [];
    expect(Number(runs)).toBeGreaterThanOrEqual(3);
    expect(distinct).toBe(runs);
  });

  it("runs every job exactly once, spread over every instance", () => {
    expect(run.stdout).toMatch(/jobs {7}60 runs, 60 distinct of 60/);
    for (const id of ["web-1", "web-2", "web-3"]) {
      const worked = new RegExp(`worked {5}${id}: (\\d+) jobs`).exec(run.stdout)?.[1];
      expect(Number(worked)).toBeGreaterThan(0);
    }
  });
});
