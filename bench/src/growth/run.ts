/**
 * The growth curves (`BENCH_MODE=growth`) and the soak (`BENCH_MODE=soak`): each point or soak
 * runs in a fresh child process, like every other run of the bench; results go to `results/`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NodeBinary } from "../node-binary.js";
import type { RunResult } from "../protocol.js";
import { runChild } from "../run-child.js";
import { type Chart, renderCharts } from "./plot.js";
import type { GrowthPoint } from "./point.js";
import type { SoakSample } from "./soak.js";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** The backends the curves are drawn for: @sched's contenders (the MongoDB one runs on an emulator here). */
export const GROWTH_CONTENDERS = ["sched-memory", "sched-postgres", "sched-redis"] as const;

type Env = Record<string, string | undefined>;

function numbers(env: Env, name: string, fallback: readonly number[], min: number): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return [...fallback];
  const values = raw.split(",").map((s) => Number(s.trim().replaceAll("_", "")));
  for (const v of values) {
    if (!Number.isInteger(v) || v < min)
      throw new Error(`${name}: every value must be an integer >= ${min}, got ${raw}`);
  }
  return values;
}

/** What the growth curves measure, from the environment. */
export interface GrowthConfig {
  contenders: string[];
  /** The job-count series (`BENCH_GROWTH_JOBS`, default 20,000, 100,000, 1,000,000) at `baseConcurrency`. */
  jobs: number[];
  /** The concurrency series (`BENCH_GROWTH_CONCURRENCY`, default 1, 10, 50, 200) at `baseJobs`. */
  concurrency: number[];
  /** The rows-already-there series (`BENCH_GROWTH_PREFILL`, default 0, 1,000,000) at `baseJobs` and `baseConcurrency`. */
  prefill: number[];
  /** Jobs of the concurrency and pre-fill series (`BENCH_GROWTH_BASE_JOBS`, default 20,000). */
  baseJobs: number;
  /** Concurrency of the job-count and pre-fill series (`BENCH_GROWTH_BASE_CONCURRENCY`, default 50). */
  baseConcurrency: number;
  /** The most one point may take, in ms (`BENCH_CHILD_TIMEOUT_MS`, default 3,600,000 here). */
  childTimeoutMs: number;
}

/** Reads {@link GrowthConfig} from `env`; `BENCH_CONTENDERS` picks among {@link GROWTH_CONTENDERS}. */
export function growthConfigFromEnv(env: Env): GrowthConfig {
  const contenders = env.BENCH_CONTENDERS?.trim()
    ? env.BENCH_CONTENDERS.split(",").map((s) => s.trim())
    : [...GROWTH_CONTENDERS];
  for (const c of contenders) {
    if (!(GROWTH_CONTENDERS as readonly string[]).includes(c)) {
      throw new Error(`BENCH_CONTENDERS: ${c} has no growth curves; known: ${GROWTH_CONTENDERS.join(", ")}`);
    }
  }
  return {
    contenders,
    jobs: numbers(env, "BENCH_GROWTH_JOBS", [20_000, 100_000, 1_000_000], 1),
    concurrency: numbers(env, "BENCH_GROWTH_CONCURRENCY", [1, 10, 50, 200], 1),
    prefill: numbers(env, "BENCH_GROWTH_PREFILL", [0, 1_000_000], 0),
    baseJobs: numbers(env, "BENCH_GROWTH_BASE_JOBS", [20_000], 1)[0] as number,
    baseConcurrency: numbers(env, "BENCH_GROWTH_BASE_CONCURRENCY", [50], 1)[0] as number,
    childTimeoutMs: numbers(env, "BENCH_CHILD_TIMEOUT_MS", [3_600_000], 1)[0] as number,
  };
}

/** The series of the curves: what varies along each, and the points it needs. */
export function growthSeries(config: GrowthConfig) {
  const at = (jobs: number, concurrency: number, prefill: number): GrowthPoint => ({
    jobs,
    concurrency,
    prefill,
  });
  return [
    {
      key: "jobs",
      label: "jobs in the run",
      xLog: true,
      points: config.jobs.map((j) => at(j, config.baseConcurrency, 0)),
    },
    {
      key: "concurrency",
      label: "concurrency (workers)",
      xLog: true,
      points: config.concurrency.map((c) => at(config.baseJobs, c, 0)),
    },
    {
      key: "prefill",
      label: "finished rows already in the store",
      xLog: false,
      points: config.prefill.map((p) => at(config.baseJobs, config.baseConcurrency, p)),
    },
  ] as const;
}

const pointKey = (p: GrowthPoint) => `${p.jobs}/${p.concurrency}/${p.prefill}`;
const fmt = (v: number | undefined, digits = 0) =>
  v === undefined || Number.isNaN(v)
    ? "-"
    : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Runs every point of every series for every contender, prints the tables, writes `growth.json` and `growth.svg`. */
export async function runGrowth(node: NodeBinary, env: Env): Promise<number> {
  const config = growthConfigFromEnv(env);
  const series = growthSeries(config);
  const unique = new Map<string, GrowthPoint>();
  for (const s of series) for (const p of s.points) unique.set(pointKey(p), p);
  console.log(
    `@sched bench, growth curves: ${config.contenders.join(", ")}; ${unique.size} points each, one fresh process per point`,
  );
  const results = new Map<string, RunResult>();
  let failed = 0;
  for (const contender of config.contenders) {
    for (const point of unique.values()) {
      const result = await runChild(node, contender, "growth-point", 1, config.childTimeoutMs, {
        BENCH_POINT_JOBS: String(point.jobs),
        BENCH_POINT_CONCURRENCY: String(point.concurrency),
        BENCH_POINT_PREFILL: String(point.prefill),
      });
      results.set(`${contender}@${pointKey(point)}`, result);
      const m = result.metrics;
      console.error(
        `  ${contender} ${point.jobs} jobs, concurrency ${point.concurrency}, ${point.prefill} rows before: ` +
          (result.ok && m
            ? `${fmt(m.processedPerSec)} jobs/s, claim p99 ${fmt(m.claimP99Ms, 2)} ms`
            : `FAILED: ${result.error?.split("\n")[0]}`),
      );
      if (!result.ok) failed++;
    }
  }

  const charts: Chart[] = [];
  const lines: string[] = [];
  for (const s of series) {
    const throughput: Chart = {
      title: `jobs/s against ${s.label}`,
      xLabel: s.label,
      yLabel: "jobs/s (log)",
      yLog: true,
      xLog: s.xLog,
      points: [],
    };
    const claims: Chart = {
      title: `claim p99 against ${s.label}`,
      xLabel: s.label,
      yLabel: "claim p99 (ms)",
      xLog: s.xLog,
      points: [],
    };
    lines.push("", `== against ${s.label}`);
    lines.push(
      `${"contender".padEnd(16)}${s.key.padStart(12)}${"jobs/s".padStart(12)}${"vs first".padStart(10)}${"claim p50".padStart(12)}${"claim p99".padStart(12)}${"store MiB".padStart(12)}`,
    );
    for (const contender of config.contenders) {
      let first: number | undefined;
      for (const point of s.points) {
        const m = results.get(`${contender}@${pointKey(point)}`)?.metrics ?? undefined;
        const x = point[s.key];
        const perSec = m?.processedPerSec;
        if (first === undefined) first = perSec;
        lines.push(
          `${contender.padEnd(16)}${fmt(x).padStart(12)}${fmt(perSec).padStart(12)}${(perSec !== undefined && first ? `${(perSec / first).toFixed(2)}x` : "-").padStart(10)}` +
            `${fmt(m?.claimP50Ms, 2).padStart(12)}${fmt(m?.claimP99Ms, 2).padStart(12)}${fmt(m?.storeMiB, 1).padStart(12)}`,
        );
        // A log axis has no 0: the first point of the pre-fill series stays on a linear one.
        if (m?.processedPerSec !== undefined)
          throughput.points.push({ x, y: m.processedPerSec, line: contender });
        if (m?.claimP99Ms !== undefined) claims.points.push({ x, y: m.claimP99Ms, line: contender });
      }
    }
    charts.push(throughput, claims);
  }
  console.log(lines.join("\n"));
  // Two rows (jobs/s, claim p99) of three columns (the series).
  const ordered = [0, 2, 4, 1, 3, 5].map((k) => charts[k] as Chart);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    `${RESULTS_DIR}growth.svg`,
    renderCharts("@sched growth curves: processing and claim p99", ordered, 3),
  );
  writeFileSync(
    `${RESULTS_DIR}growth.json`,
    `${JSON.stringify({ finishedAt: new Date().toISOString(), node: node.version, config, runs: [...results.entries()].map(([key, r]) => ({ key, ...r })) }, null, 2)}\n`,
  );
  console.log(`\nwrote ${RESULTS_DIR}growth.svg and growth.json`);
  if (failed > 0) console.error(`${failed} point(s) failed`);
  return failed > 0 ? 1 : 0;
}

/** Runs the soak for every selected contender, prints its samples, writes `soak.json` and `soak.svg`. */
export async function runSoak(node: NodeBinary, env: Env): Promise<number> {
  const config = growthConfigFromEnv(env);
  console.log(`@sched bench, soak: ${config.contenders.join(", ")}, one fresh process each`);
  const all: Record<string, SoakSample[]> = {};
  let failed = 0;
  mkdirSync(RESULTS_DIR, { recursive: true });
  for (const contender of config.contenders) {
    const out = `${RESULTS_DIR}soak-${contender}.tmp.json`;
    const result = await runChild(node, contender, "soak", 1, config.childTimeoutMs, { BENCH_SOAK_OUT: out });
    try {
      all[contender] = JSON.parse(readFileSync(out, "utf8")) as SoakSample[];
      rmSync(out, { force: true });
    } catch {
      all[contender] = [];
    }
    if (!result.ok) {
      failed++;
      console.error(`  ${contender}: FAILED: ${result.error?.split("\n")[0]}`);
    }
    const samples = all[contender] ?? [];
    console.log(`\n== ${contender}`);
    console.log(
      `${"t (s)".padStart(8)}${"RSS MiB".padStart(10)}${"heap MiB".padStart(10)}${"store MiB".padStart(11)}${"ran".padStart(10)}${"backlog".padStart(9)}`,
    );
    for (const s of samples) {
      console.log(
        `${String(s.t).padStart(8)}${fmt(s.rssMiB, 1).padStart(10)}${fmt(s.heapUsedMiB, 1).padStart(10)}${fmt(s.storeMiB ?? undefined, 1).padStart(11)}${fmt(s.completed).padStart(10)}${fmt(s.backlog).padStart(9)}`,
      );
    }
  }
  const chart = (title: string, yLabel: string, pick: (s: SoakSample) => number | null): Chart => ({
    title,
    xLabel: "seconds",
    yLabel,
    points: Object.entries(all).flatMap(([line, samples]) =>
      samples.flatMap((s) => {
        const y = pick(s);
        return y === null ? [] : [{ x: s.t, y, line }];
      }),
    ),
  });
  const charts = [
    chart("process RSS", "MiB", (s) => s.rssMiB),
    chart("heap used", "MiB", (s) => s.heapUsedMiB),
    chart("store size", "MiB", (s) => s.storeMiB),
  ];
  writeFileSync(
    `${RESULTS_DIR}soak.svg`,
    renderCharts("@sched soak: memory and store size over time", charts, 3),
  );
  writeFileSync(
    `${RESULTS_DIR}soak.json`,
    `${JSON.stringify({ finishedAt: new Date().toISOString(), node: node.version, samples: all }, null, 2)}\n`,
  );
  console.log(`\nwrote ${RESULTS_DIR}soak.svg and soak.json`);
  return failed > 0 ? 1 : 0;
}
