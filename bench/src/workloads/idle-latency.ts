import type { BenchPayload } from "../contender.js";
import { distribution } from "../stats.js";
import { collectGarbage, signal, sleep, within } from "../timing.js";
import { startIdleWorker, type Workload } from "./workload.js";

/**
 * A started, idle worker; enqueue one job at a time at `latencyRate` per second. Latency is from
 * just before the `enqueue` call to the first line of that job's handler. The first
 * `latencyWarmup` samples are not counted.
 */
export const idleLatency: Workload = {
  name: "idle-latency",
  title: "one job at a time into an idle worker: enqueue call to handler start",
  metrics: [
    { key: "p50", label: "p50", unit: "ms", better: "lower" },
    { key: "p95", label: "p95", unit: "ms", better: "lower" },
    { key: "p99", label: "p99", unit: "ms", better: "lower" },
    { key: "max", label: "max", unit: "ms", better: "lower" },
  ],
  async run(contender, config, probe) {
    const total = config.latencyWarmup + config.latencySamples;
    const intervalMs = 1000 / config.latencyRate;
    let expected = -1;
    let waiting: ((at: number) => void) | null = null;
    let strays = 0;

    const handler = (payload: BenchPayload): void => {
      const now = performance.now();
      if (payload.i !== expected || waiting === null) {
        strays++;
        return;
      }
      const resolve = waiting;
      waiting = null;
      resolve(now);
    };

    await contender.setup({ concurrency: config.concurrency });
    try {
      await startIdleWorker(contender, handler);
      collectGarbage();
      await probe.begin("samples");
      const samples: number[] = [];
      const base = performance.now();
      for (let k = 0; k < total; k++) {
        const ran = signal<number>();
        expected = k;
        waiting = ran.resolve;
        const before = performance.now();
        await contender.enqueueOne({ i: k });
        const handlerStart = await within(ran.promise, 10_000, () => `job ${k} did not run`);
        if (k >= config.latencyWarmup) samples.push(handlerStart - before);
        // Pace on a fixed grid so that a slow sample does not slow the rate down further.
        const next = base + (k + 1) * intervalMs;
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
      }
      await probe.end();
      if (strays > 0) throw new Error(`${strays} handler call(s) for a job other than the one awaited`);
      const d = distribution(samples);
      return {
        p50: d.p50,
        p95: d.p95,
        p99: d.p99,
        max: d.max,
        mean: d.mean,
        min: d.min,
        samples: d.count,
        ratePerSec: config.latencyRate,
      };
    } finally {
      await contender.teardown();
    }
  },
};
