import { type NodeRun, runNode } from "@sched/test-support";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = new URL("../src/main.mjs", import.meta.url);

/** The scheduled times (epoch ms) printed by the ticks of one schedule, in order. */
function ticksOf(stdout: string, name: string): number[] {
  const pattern = new RegExp(`tick ${name} +scheduled (\\S+Z)`);
  return stdout
    .split("\n")
    .map((line) => pattern.exec(line)?.[1])
    .filter((iso): iso is string => iso !== undefined)
    .map((iso) => Date.parse(iso));
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

describe("examples/cron", () => {
  let run: NodeRun;
  beforeAll(async () => {
    run = await runNode(SCRIPT, { timeoutMs: 25_000 });
  });

  it("stops and exits with code 0 by itself within 10 seconds", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.durationMs).toBeLessThan(10_000);
    expect(run.stdout).toContain("scheduler stopped");
  });

  it("ticks the 6-field cron every second, on whole seconds", () => {
    const ticks = ticksOf(run.stdout, "heartbeat");
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.every((t) => t % 1000 === 0)).toBe(true);
    expect(new Set(gaps(ticks))).toEqual(new Set([1000]));
  });

  it("ticks every(2).seconds() two seconds apart", () => {
    const ticks = ticksOf(run.stdout, "sync_inventory");
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(gaps(ticks))).toEqual(new Set([2000]));
  });

  it("prints the time-zoned cron's ticks in Tokyo time and its daily run at 09:00 in New York", () => {
    expect(run.stdout).toMatch(/tick tokyo_tick +scheduled \w{3}, \d\d:\d\d:\d\d GMT\+9 in Tokyo/);
    expect(run.stdout).toMatch(/ny_morning_report next runs at \S+Z = \w{3}, 09:00:00 GMT-[45] in New York/);
  });

  it("runs the one-time at(date) job exactly once", () => {
    expect(run.stdout.match(/run {2}launch_announcement \(one time\)/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/schedule launch_announcement next run none \(finished\)/);
  });
});
