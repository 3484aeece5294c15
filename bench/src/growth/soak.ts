import { writeFileSync } from "node:fs";
import { integerFromEnv } from "../config.js";
import type { BenchPayload } from "../contender.js";
import { sleep } from "../timing.js";
import type { Workload } from "../workloads/index.js";

type Env = Record<string, string | undefined>;

/** How a soak runs (`BENCH_SOAK_*`). */
export interface SoakConfig {
  /** How long jobs are enqueued, in seconds (`BENCH_SOAK_SECONDS`, default 300). */
  seconds: number;
  /** Jobs enqueued per second, in batches every 100 ms (`BENCH_SOAK_RATE`, default 500). */
  rate: number;
  /** Seconds between samples (`BENCH_SOAK_SAMPLE_SECONDS`, default 5). */
  sampleSeconds: number;
  /** Worker concurrency (`BENCH_CONCURRENCY`, default 50). */
  concurrency: number;
}

/** Reads the soak's settings from the environment. */
export function soakConfigFromEnv(env: Env): SoakConfig {
  return {
    seconds: integerFromEnv(env, "BENCH_SOAK_SECONDS", { fallback: 300 }),
    rate: integerFromEnv(env, "BENCH_SOAK_RATE", { fallback: 500 }),
    sampleSeconds: integerFromEnv(env, "BENCH_SOAK_SAMPLE_SECONDS", { fallback: 5 }),
    concurrency: integerFromEnv(env, "BENCH_CONCURRENCY", { fallback: 50 }),
  };
}

/** One reading of a soak, every `sampleSeconds`. */
export interface SoakSample {
  /** Seconds since jobs began to be enqueued. */
  t: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** The store's data on its server (see `Contender.storeBytes`); `null` where unknown. */
  storeMiB: number | null;
  /** Jobs that ran so far. */
  completed: number;
  /** Jobs enqueued and not yet run. */
  backlog: number;
}

/**
 * The soak (`BENCH_MODE=soak`): a worker runs while jobs arrive at a steady rate for a long time,
 * at the default retention; every few seconds the process's RSS and heap and the store's size are
 * read. Memory or a store that grows without bound shows as a rising line. Every job must run
 * exactly once. The samples go to the file `BENCH_SOAK_OUT` names.
 */
export const soak: Workload = {
  name: "soak",
  title: "steady arrivals for a long time: RSS, heap and store size over time",
  metrics: [
    { key: "rssMiB", label: "RSS at end", unit: "jobs", better: "lower", compare: false },
    { key: "storeMiB", label: "store at end", unit: "jobs", better: "lower", compare: false },
  ],
  async run(contender) {
    const config = soakConfigFromEnv(process.env);
    const out = process.env.BENCH_SOAK_OUT;
    const total = config.seconds * config.rate;
    const seen = new Uint8Array(total);
    let completed = 0;
    let faults = 0;
    const samples: SoakSample[] = [];
    await contender.setup({ concurrency: config.concurrency });
    try {
      await contender.startWorker((payload: BenchPayload) => {
        if (!(payload.i >= 0 && payload.i < total) || seen[payload.i] === 1) faults++;
        else {
          seen[payload.i] = 1;
          completed++;
        }
      });
      const start = performance.now();
      let enqueued = 0;
      let nextSample = 0;
      const sample = async (t: number) => {
        const bytes = (await contender.storeBytes?.()) ?? null;
        const memory = process.memoryUsage();
        samples.push({
          t,
          rssMiB: memory.rss / 2 ** 20,
          heapUsedMiB: memory.heapUsed / 2 ** 20,
          storeMiB: bytes === null ? null : bytes / 2 ** 20,
          completed,
          backlog: enqueued - completed,
        });
      };
      while (enqueued < total) {
        const elapsed = (performance.now() - start) / 1000;
        if (elapsed >= nextSample) {
          await sample(Math.round(elapsed));
          nextSample += config.sampleSeconds;
        }
        const due = Math.min(total, Math.floor(elapsed * config.rate) + Math.ceil(config.rate / 10));
        if (due > enqueued) {
          const jobs = Array.from({ length: due - enqueued }, (_, k) => ({ i: enqueued + k }));
          await contender.enqueueBulk(jobs);
          enqueued = due;
        }
        await sleep(100);
      }
      const deadline = performance.now() + 60_000;
      while (completed < total && performance.now() < deadline) await sleep(100);
      await sample(Math.round((performance.now() - start) / 1000));
      if (out) writeFileSync(out, `${JSON.stringify(samples)}\n`);
      if (completed < total) throw new Error(`${total - completed} of ${total} jobs did not run`);
      if (faults > 0) throw new Error(`${faults} job(s) ran twice or were unknown`);
      const last = samples[samples.length - 1] as SoakSample;
      return {
        jobs: total,
        seconds: config.seconds,
        rate: config.rate,
        rssMiB: last.rssMiB,
        heapUsedMiB: last.heapUsedMiB,
        maxRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
        ...(last.storeMiB === null ? {} : { storeMiB: last.storeMiB }),
      };
    } finally {
      await contender.teardown();
    }
  },
};
