import { describe, expect, it } from "vitest";
import { JobTableVacuum, REST_FACTOR } from "../src/job-table-vacuum.js";

/** A vacuum whose runs the test ends by hand, on a clock the test moves. */
function harness(every: number) {
  let clock = 0;
  const runs: Array<() => void> = [];
  const vacuum = new JobTableVacuum(
    every,
    () => new Promise<void>((resolve) => runs.push(resolve)),
    () => clock,
  );
  return {
    vacuum,
    runs,
    advance(ms: number) {
      clock += ms;
    },
    /** Ends the vacuum in flight and lets its promise settle. */
    async finish() {
      runs.at(-1)?.();
      await vacuum.settled(1_000);
    },
  };
}

describe("JobTableVacuum", () => {
  it("starts a vacuum once `every` jobs ended, and counts again from zero", async () => {
    const h = harness(10);
    h.vacuum.jobsEnded(6);
    expect(h.runs).toHaveLength(0);
    h.vacuum.jobsEnded(4);
    expect(h.runs).toHaveLength(1);
    await h.finish();
    h.vacuum.jobsEnded(9);
    expect(h.runs).toHaveLength(1);
  });

  it("runs one vacuum at a time", () => {
    const h = harness(1);
    h.vacuum.jobsEnded(5);
    h.vacuum.jobsEnded(5);
    h.vacuum.start();
    expect(h.runs).toHaveLength(1);
  });

  it("rests REST_FACTOR times a vacuum's duration before the next, keeping the jobs ended meanwhile", async () => {
    const h = harness(10);
    h.vacuum.jobsEnded(10);
    h.advance(100);
    await h.finish();
    h.vacuum.jobsEnded(10);
    h.advance(REST_FACTOR * 100 - 1);
    h.vacuum.jobsEnded(1);
    expect(h.runs).toHaveLength(1);
    h.advance(1);
    h.vacuum.jobsEnded(1);
    expect(h.runs).toHaveLength(2);
  });

  it("start() after a cleanup does not wait for the rest", async () => {
    const h = harness(10);
    h.vacuum.start();
    h.advance(100);
    await h.finish();
    h.vacuum.start();
    expect(h.runs).toHaveLength(2);
  });

  it("with every 0 never vacuums", () => {
    const h = harness(0);
    h.vacuum.jobsEnded(1_000_000);
    h.vacuum.start();
    expect(h.runs).toHaveLength(0);
  });

  it("a failed vacuum is ignored and the next one can start", async () => {
    let calls = 0;
    const vacuum = new JobTableVacuum(1, async () => {
      calls++;
      throw new Error("permission denied");
    });
    vacuum.jobsEnded(1);
    await vacuum.settled(1_000);
    vacuum.start();
    await vacuum.settled(1_000);
    expect(calls).toBe(2);
  });
});
