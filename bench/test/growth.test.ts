import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONTENDERS } from "../src/contenders/index.js";
import { renderCharts } from "../src/growth/plot.js";
import { growthPoint, pointFromEnv } from "../src/growth/point.js";
import { growthConfigFromEnv, growthSeries } from "../src/growth/run.js";
import { soak, soakConfigFromEnv } from "../src/growth/soak.js";
import { noProbe } from "../src/probe.js";

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const tinyConfig = {
  jobs: 1,
  concurrency: 10,
  latencySamples: 1,
  latencyWarmup: 1,
  latencyRate: 1,
  delayedJobs: 1,
  delayMs: 1,
  controlJobs: 1,
  groupKeys: 1,
  globalConcurrency: 1,
  rateJobs: 1,
  rateMax: 1,
  ratePerMs: 1,
};

describe("growth settings", () => {
  it("defaults to the issue's grid: 20k/100k/1M jobs, concurrency 1/10/50/200, 0/1M rows before", () => {
    const config = growthConfigFromEnv({});
    expect(config.contenders).toEqual(["sched-memory", "sched-postgres", "sched-redis"]);
    const series = growthSeries(config);
    expect(series.map((s) => s.points.map((p) => [p.jobs, p.concurrency, p.prefill]))).toEqual([
      [
        [20_000, 50, 0],
        [100_000, 50, 0],
        [1_000_000, 50, 0],
      ],
      [
        [20_000, 1, 0],
        [20_000, 10, 0],
        [20_000, 50, 0],
        [20_000, 200, 0],
      ],
      [
        [20_000, 50, 0],
        [20_000, 50, 1_000_000],
      ],
    ]);
  });

  it("refuses contenders without curves and values that are not counts", () => {
    expect(() => growthConfigFromEnv({ BENCH_CONTENDERS: "bullmq" })).toThrow(/no growth curves/);
    expect(() => growthConfigFromEnv({ BENCH_GROWTH_JOBS: "10,abc" })).toThrow(/BENCH_GROWTH_JOBS/);
    expect(() => growthConfigFromEnv({ BENCH_GROWTH_CONCURRENCY: "0" })).toThrow(/>= 1/);
    expect(() => pointFromEnv({ BENCH_POINT_JOBS: "5" })).toThrow(/BENCH_POINT_CONCURRENCY/);
    expect(() => soakConfigFromEnv({ BENCH_SOAK_RATE: "-3" })).toThrow(/BENCH_SOAK_RATE/);
  });
});

describe("charts", () => {
  it("draw every line with its label into one standalone SVG", () => {
    const svg = renderCharts(
      "title <1>",
      [
        {
          title: "jobs/s",
          xLabel: "jobs",
          yLabel: "jobs/s",
          xLog: true,
          yLog: true,
          points: [
            { x: 20_000, y: 21_000, line: "sched-postgres" },
            { x: 100_000, y: 20_500, line: "sched-postgres" },
            { x: 20_000, y: 30_000, line: "sched-redis" },
          ],
        },
        { title: "empty", xLabel: "x", yLabel: "y", points: [] },
      ],
      2,
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain("title &lt;1&gt;");
    expect(svg).toContain(">sched-postgres<");
    expect(svg).toContain(">sched-redis<");
    expect(svg.match(/<path/g)?.length ?? 0).toBeGreaterThan(1);
  });
});

describe("growth point on the memory store", () => {
  it("runs the pre-fill first, keeps it, then measures each job once with every claim timed", async () => {
    process.env.BENCH_POINT_JOBS = "1500";
    process.env.BENCH_POINT_CONCURRENCY = "10";
    process.env.BENCH_POINT_PREFILL = "700";
    const contender = await CONTENDERS["sched-memory"]!.create();
    const metrics = await growthPoint.run(contender, tinyConfig, noProbe);
    expect(metrics).toMatchObject({ jobs: 1500, concurrency: 10, prefill: 700 });
    expect(metrics.claims).toBeGreaterThan(0);
    expect(metrics.claimP99Ms).toBeGreaterThanOrEqual(metrics.claimP50Ms!);
    expect(metrics.processedPerSec).toBeGreaterThan(0);
    expect(metrics.storeMiB).toBeUndefined();
  });

  it("refuses a contender whose claims it cannot time", async () => {
    process.env.BENCH_POINT_JOBS = "1";
    process.env.BENCH_POINT_CONCURRENCY = "1";
    process.env.BENCH_POINT_PREFILL = "0";
    const contender = await CONTENDERS["sched-memory"]!.create();
    const { claimLatencies: _, ...blind } = contender;
    await expect(growthPoint.run(blind, tinyConfig, noProbe)).rejects.toThrow(/@sched contender/);
  });
});

describe("growth point on PostgreSQL", () => {
  it("reads the size of the store's tables with their indexes", async () => {
    process.env.BENCH_POINT_JOBS = "300";
    process.env.BENCH_POINT_CONCURRENCY = "10";
    process.env.BENCH_POINT_PREFILL = "200";
    // A schema of this test's own: never the one a running `pnpm bench` uses.
    const contender = (await import("../src/contenders/sched-postgres.js")).createContender(
      `bench_test_growth_${process.pid}`,
    );
    const metrics = await growthPoint.run(contender, tinyConfig, noProbe);
    expect(metrics).toMatchObject({ jobs: 300, prefill: 200 });
    // 500 finished rows with their indexes, the migrations' tables and functions: well over 100 kB.
    expect(metrics.storeMiB).toBeGreaterThan(0.1);
  }, 60_000);
});

describe("soak on Redis", () => {
  it("samples RSS, heap and the store's size while every job runs once", async () => {
    const out = join(tmpdir(), `sched-soak-test-${process.pid}.json`);
    process.env.BENCH_SOAK_SECONDS = "2";
    process.env.BENCH_SOAK_RATE = "200";
    process.env.BENCH_SOAK_SAMPLE_SECONDS = "1";
    process.env.BENCH_SOAK_OUT = out;
    // A key prefix of this test's own: never the one a running `pnpm bench` uses.
    const contender = (await import("../src/contenders/sched-redis.js")).createContender(
      `bench_test_soak_${process.pid}:`,
    );
    const metrics = await soak.run(contender, tinyConfig, noProbe);
    expect(metrics.jobs).toBe(400);
    expect(metrics.storeMiB).toBeGreaterThan(0);
    const { readFileSync } = await import("node:fs");
    const samples = JSON.parse(readFileSync(out, "utf8")) as Array<{ t: number; completed: number }>;
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.at(-1)?.completed).toBe(400);
  }, 90_000);
});
