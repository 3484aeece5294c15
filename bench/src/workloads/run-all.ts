import type { BenchJob, BenchPayload, Contender, WorkerSettings } from "../contender.js";
import type { PhaseProbe } from "../probe.js";
import { collectGarbage, EpochConverter, signal, within } from "../timing.js";

/** What {@link enqueueAndRunAll} measured. */
export interface RunAll {
  /** The bulk enqueue call, in ms. */
  enqueueMs: number;
  /** From just before `startWorker` to the start of the last job's handler, in ms. */
  processMs: number;
  /**
   * Each job's start in epoch ms, by index: the instant the library stamped it as started (its
   * claim) when the contender passes one, else the handler's first line.
   */
  startedAt: Float64Array;
}

/**
 * Sets the contender up with `settings`, bulk-enqueues `jobs` (indices 0…n-1) with no worker
 * running, starts a worker and waits until every job's handler ran, then tears down. Every job
 * must run exactly once: a missing, repeated or unknown job fails the run. `phase` names the
 * timed phases for the probe.
 */
export async function enqueueAndRunAll(
  contender: Contender,
  settings: WorkerSettings,
  jobs: readonly BenchJob[],
  probe: PhaseProbe,
  phase: string,
): Promise<RunAll> {
  const n = jobs.length;
  const clock = new EpochConverter();
  const handlerAt = new Float64Array(n).fill(Number.NaN);
  const stampedAt = new Float64Array(n).fill(Number.NaN);
  let distinct = 0;
  let repeated = 0;
  let outOfRange = 0;
  let lastStart = 0;
  const allRan = signal();

  const handler = (payload: BenchPayload, startedAt?: number): void => {
    const now = performance.now();
    const i = payload.i;
    if (!(i >= 0 && i < n)) {
      outOfRange++;
      return;
    }
    if (!Number.isNaN(handlerAt[i] ?? 0)) {
      repeated++;
      return;
    }
    handlerAt[i] = now;
    if (startedAt !== undefined) stampedAt[i] = startedAt;
    if (++distinct === n) {
      lastStart = now;
      allRan.resolve();
    }
  };

  await contender.setup(settings);
  try {
    collectGarbage();
    await probe.begin(`${phase}-enqueue`);
    const enqueueStart = performance.now();
    await contender.enqueueBulk(jobs);
    const enqueueMs = performance.now() - enqueueStart;
    await probe.end();

    collectGarbage();
    clock.start();
    await probe.begin(`${phase}-process`);
    const processStart = performance.now();
    await contender.startWorker(handler);
    // Generous: 60 s plus 1 ms per job (1,000 jobs/s would still finish), or the rate limit's pace.
    await within(allRan.promise, 60_000 + n, () => `${distinct} of ${n} jobs ran (${phase})`);
    await probe.end();
    const processMs = lastStart - processStart;
    // A short grace period to catch jobs that run twice (e.g. a lost acknowledgement).
    await new Promise((resolve) => setTimeout(resolve, 100));
    clock.finish();
    if (repeated > 0 || outOfRange > 0) {
      throw new Error(
        `${repeated} job(s) ran more than once and ${outOfRange} had an unknown index (${phase})`,
      );
    }
    const startedAt = Float64Array.from(handlerAt, (at, i) =>
      Number.isNaN(stampedAt[i] ?? Number.NaN) ? clock.toEpoch(at) : (stampedAt[i] as number),
    );
    return { enqueueMs, processMs, startedAt };
  } finally {
    await contender.teardown();
  }
}
