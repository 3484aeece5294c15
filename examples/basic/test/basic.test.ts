import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

describe("examples/basic", () => {
  let run: NodeRun;
  let lines: string[];
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 20_000 });
    lines = run.stdout.split("\n");
  });

  it("exits with code 0 by itself within 10 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(lines.some((l) => l.includes("scheduler stopped"))).toBe(true);
  });

  it("runs the waiting emails by priority, highest first", () => {
    const order = lines
      .map((l) => /handler {4}send_email to (\w+)@/.exec(l)?.[1])
      .filter((to): to is string => to !== undefined);
    expect(order).toEqual(["high", "normal", "low"]);
  });

  it("refuses the duplicate unique job with a JobAlreadyExistsError", () => {
    expect(run.stdout).toMatch(/duplicate refused: JobAlreadyExistsError \(JOB_ALREADY_EXISTS\)/);
    expect(lines.filter((l) => l.includes("handler    send_welcome"))).toHaveLength(1);
  });

  it("runs the delayed job after its delay", () => {
    const line = lines.find((l) => l.includes("handler    reminder"));
    expect(line).toBeDefined();
    const elapsed = Number(/\[\+\s*(\d+) ms\]/.exec(line ?? "")?.[1]);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
  });

  it("retries the failing job with backoff, then hands it to the dead-letter handler", () => {
    expect(lines.filter((l) => l.includes("handler    charge_card"))).toHaveLength(3);
    expect(lines.filter((l) => l.includes("onRetry    charge_card"))).toHaveLength(2);
    expect(run.stdout).toMatch(/onDead {5}charge_card \S+ is dead after 3 attempts: card declined/);
    expect(run.stdout).toMatch(
      /dead-letter handler: charge_card \S+ gave up with "card declined" \(status dead\)/,
    );
    expect(lines.filter((l) => l.includes("warn       job failed; retrying"))).toHaveLength(2);
    expect(lines.filter((l) => l.includes("warn       job is dead"))).toHaveLength(1);
    const retried = lines.findIndex((l) => l.includes("onRetry"));
    const dead = lines.findIndex((l) => l.includes("dead-letter handler"));
    expect(retried).toBeLessThan(dead);
  });

  it("reports the final counts with stats()", () => {
    const json = /stats {6}(\{.*\})/.exec(run.stdout)?.[1];
    // Five jobs and the dead-letter job of the one that died.
    expect(JSON.parse(json ?? "null")).toMatchObject({ completed: 6, dead: 1, pending: 0, running: 0 });
  });
});
