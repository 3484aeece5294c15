import type { ConformanceSkip } from "@sched/testing/conformance";

/** Why: MONGODB.md, measured on CongoDB (`@push.rocks/smartmongo` 2.2.0). */
const NO_UNIQUE_INDEX =
  "needs a real MongoDB: the CongoDB emulator accepts unique and partial indexes but never enforces them";

/**
 * The conformance tests the CongoDB emulator cannot honestly serve, each with its reason. They
 * run whenever `SCHED_MONGODB_URL` names a real MongoDB (a replica set, 6.0 or later). Groups the
 * store itself declares it cannot run there (transactions and change streams: a standalone
 * deployment) are skipped by the suite with their capability, not listed here.
 */
export const EMULATOR_SKIPS: readonly ConformanceSkip[] = [
  { test: "of 20 concurrent enqueues with the same uniqueKey exactly one succeeds", reason: NO_UNIQUE_INDEX },
];

/** The scheduler scenarios the emulator cannot honestly serve, each with its reason. */
export const EMULATOR_SCENARIO_SKIPS: readonly ConformanceSkip[] = [
  {
    test: "stop() during a slow claim",
    reason:
      "needs change streams (a replica set): the scenario expects the claim an enqueue's wake-up starts, and without pushed events the 50 ms poll's claim, begun before the enqueue, is the one held back",
  },
];

/** Prints, once per file, the one line saying what is skipped on this deployment and why. */
export function reportSkips(
  kind: "real" | "emulator",
  what: string,
  skips: readonly ConformanceSkip[] = EMULATOR_SKIPS,
): void {
  if (kind === "real") {
    console.info(
      `[store-mongodb] ${what}: running against the real MongoDB of SCHED_MONGODB_URL; nothing skipped for the emulator`,
    );
    return;
  }
  const reasons = [...new Set(skips.map((skip) => skip.reason))];
  console.info(
    `[store-mongodb] ${what} on the CongoDB emulator (no SCHED_MONGODB_URL): skipped ${skips.length} test(s) (${skips.map((skip) => `"${skip.test}"`).join(", ")}): ${reasons.join("; ")}; ` +
      "the transactions, change-stream (pushedEvents) and peer-event groups are skipped by capability: a standalone deployment has neither transactions nor change streams",
  );
}
