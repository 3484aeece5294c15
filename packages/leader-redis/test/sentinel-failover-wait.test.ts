import { describe, expect, it } from "vitest";
import { print, runThroughFailover, useSentinelGroup } from "./failover-run.js";

// See failover-run.ts. With waitForReplicas: { replicas: 1 }, an enqueue is acknowledged only once
// the replica has it, and the Sentinels promote that replica.
describe("a Sentinel failover with waitForReplicas: { replicas: 1 }", () => {
  const group = useSentinelGroup();

  it("no acknowledged enqueue is lost: each was on the replica that was promoted", async () => {
    const report = await runThroughFailover(group, { replicas: 1, timeout: "500ms" });
    print("waitForReplicas 1", report);
    expect(report.lost).toEqual([]);
    expect(report.ticksAfterPromotion).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
