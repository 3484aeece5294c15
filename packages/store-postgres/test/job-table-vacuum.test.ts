import { describe, expect, it } from "vitest";
import {
  ANALYZE_AFTER_JOBS,
  JobTableVacuum,
  NEARLY_EMPTY_ROWS,
  REST_FACTOR,
} from "../src/job-table-vacuum.js";

/**
 * A vacuum whose runs the test ends by hand (with the live rows they leave, 50,000 unless told),
 * on a clock the test moves; analyzes are counted, and end at once.
 */
function harness(every: number) {
  let clock = 0;
  const runs: Array<(live: number) => void> = [];
  let analyzes = 0;
  const vacuum = new JobTableVacuum(
    every,
    () => new Promise<number>((resolve) => runs.push(resolve)),
    () => clock,
    async () => {
      analyzes++;
    },
  );
  return {
    vacuum,
    runs,
    get analyzes() {
      return analyzes;
    },
    advance(ms: number) {
      clock += ms;
    },
    /** Ends the vacuum in flight and lets its promise settle. */
    async finish(live = 50_000) {
      runs.at(-1)?.(live);
      await vacuum.settled(1_000);
    },
  };
}

describe("JobTableVacuum", () => {
  it("after a vacuum that left the table nearly empty, analyzes it once it has refilled", async () => {
    const h = harness(10_000);
    h.vacuum.start();
    await h.finish(NEARLY_EMPTY_ROWS - 1);
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS - 10);
    expect(h.analyzes).toBe(0);
    // Ended jobs count too.
    h.vacuum.jobsEnded(10);
    expect(h.analyzes).toBe(1);
    await h.vacuum.settled(1_000);
    // Once.
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS * 5);
    expect(h.analyzes).toBe(1);
  });

  it("no analyze after a vacuum that saw enough rows, or whose statistics are unknown", async () => {
    const h = harness(10_000);
    h.vacuum.start();
    await h.finish(NEARLY_EMPTY_ROWS);
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS * 5);
    h.vacuum.start();
    await h.finish(-1);
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS * 5);
    expect(h.analyzes).toBe(0);
    expect(h.runs).toHaveLength(2);
  });

  it("an analyze due while a vacuum runs waits for it; that vacuum decides again, counting the jobs since it started", async () => {
    const h = harness(10_000);
    h.vacuum.start();
    await h.finish(0);
    h.vacuum.start();
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS);
    expect(h.analyzes).toBe(0);
    // It left the table nearly empty too: the jobs inserted while it ran are enough.
    await h.finish(5);
    expect(h.analyzes).toBe(1);
    await h.vacuum.settled(1_000);
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS);
    expect(h.analyzes).toBe(1);
    // A vacuum that saw enough rows makes none due, whatever came in while it ran.
    h.vacuum.start();
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS * 2);
    await h.finish(50_000);
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS * 2);
    expect(h.analyzes).toBe(1);
  });

  it("jobs inserted while the vacuum that empties the table still runs count towards its analyze", async () => {
    const h = harness(10_000);
    h.vacuum.start();
    // The vacuum's statement has ended (the server's statistics show it), but its live-row read
    // has not: the store's jobs arrive meanwhile.
    h.vacuum.jobsInserted(ANALYZE_AFTER_JOBS - 100);
    await h.finish(0);
    expect(h.analyzes).toBe(0);
    h.vacuum.jobsInserted(100);
    expect(h.analyzes).toBe(1);
  });

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
