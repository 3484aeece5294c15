import { createRequire } from "node:module";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { WorkloadConfig } from "../src/config.js";
import { CONTENDERS } from "../src/contenders/index.js";
import { postgresUrl } from "../src/contenders/postgres.js";
import { redisUrl } from "../src/contenders/redis.js";
import { noProbe } from "../src/probe.js";
import { WORKLOADS } from "../src/workloads/index.js";

// Tiny sizes: this checks that every workload runs end to end against every in-process contender
// (each job's handler called exactly once, teardown leaves nothing behind), not the figures.
const tiny: WorkloadConfig = {
  jobs: 2_000,
  concurrency: 50,
  latencySamples: 20,
  latencyWarmup: 5,
  latencyRate: 200,
  delayedJobs: 200,
  delayMs: 300,
  controlJobs: 2_000,
  groupKeys: 20,
  globalConcurrency: 5,
  rateJobs: 700,
  rateMax: 200,
  ratePerMs: 200,
};

const inProcess = ["sched-memory"];

describe.each(inProcess)("contender %s", (name) => {
  it.each(Object.keys(WORKLOADS))("runs the %s workload", async (workloadName) => {
    const contender = await CONTENDERS[name]!.create();
    const metrics = await WORKLOADS[workloadName]!.run(contender, tiny, noProbe);
    for (const spec of WORKLOADS[workloadName]!.metrics) {
      expect(Number.isFinite(metrics[spec.key]), spec.key).toBe(true);
    }
  });
});

describe.each(["postgres-floor", "redis-floor"])("server floor %s", (name) => {
  it("measures idle latency against the real server, and leaves nothing behind", async () => {
    const contender = await CONTENDERS[name]!.create();
    const metrics = await WORKLOADS["idle-latency"]!.run(contender, tiny, noProbe);
    expect(metrics.samples).toBe(tiny.latencySamples);
    expect(metrics.p50).toBeGreaterThan(0);
    expect(metrics.p99).toBeGreaterThanOrEqual(metrics.p50 as number);
    await expect(contender.enqueueBulk([{ i: 0 }])).rejects.toThrow(/idle latency only/);
    expect(await leftBehind(name)).toBe(0);
  });
});

/** What a floor left on its server after teardown: its schema (0 or 1), or its keys. */
async function leftBehind(name: string): Promise<number> {
  if (name === "redis-floor") {
    const client = new Redis(redisUrl(), { lazyConnect: true });
    await client.connect();
    try {
      return (await client.keys("bench-floor:*")).length;
    } finally {
      client.disconnect();
    }
  }
  // `pg` without its types, as the bench loads it (contenders/postgres.ts).
  const pg = createRequire(import.meta.url)("pg") as {
    Client: new (config: {
      connectionString: string;
    }) => {
      connect(): Promise<unknown>;
      query(sql: string): Promise<{ rows: Array<{ n: number }> }>;
      end(): Promise<void>;
    };
  };
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'bench_floor'",
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}
