import { describe, expect, it } from "vitest";
import { print, runThroughFailover, useSentinelGroup } from "./failover-run.js";

// See failover-run.ts. Without waitForReplicas, Redis's asynchronous replication may lose the
// writes acknowledged in the last moments before the kill (the README's guarantee).
describe("a Sentinel failover in the middle of a run (the primary killed with SIGKILL)", () => {
  const group = useSentinelGroup();

  it("the scheduler carries on by itself; only writes acknowledged before the kill may be lost", async () => {
    const report = await runThroughFailover(group, undefined);
    print("no waitForReplicas", report);
    // Asynchronous replication: what the replica had not received when the primary died is gone.
    // Nothing acknowledged after the kill can be lost: only the promoted primary acknowledges then.
    expect(report.lostAcknowledgedAfterKill).toEqual([]);
    expect(report.ticksAfterPromotion).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
