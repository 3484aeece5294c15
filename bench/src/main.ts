/**
 * `pnpm bench`: runs every selected workload for every selected contender, each in a fresh child
 * process on one Node.js binary, prints a table and writes `results/latest.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runConfigFromEnv, workloadConfigFromEnv } from "./config.js";
import { CONTENDERS, DEFAULT_CONTENDERS, runsWorkload } from "./contenders/index.js";
import { GROUPS, type GroupSelection, peersOf, selectGroups } from "./groups.js";
import { runGrowth, runSoak } from "./growth/run.js";
import { resolveNodeBinary } from "./node-binary.js";
import type { RunResult } from "./protocol.js";
import { evaluateBar, evaluateVariants, formatValue, renderReport, summarize } from "./report.js";
import { runChild } from "./run-child.js";
import { WORKLOADS, type Workload } from "./workloads/index.js";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

async function main(): Promise<number> {
  const mode = process.env.BENCH_MODE?.trim() || "compare";
  if (mode === "growth") return runGrowth(resolveNodeBinary(process.env), process.env);
  if (mode === "soak") return runSoak(resolveNodeBinary(process.env), process.env);
  if (mode !== "compare")
    throw new Error(`BENCH_MODE must be compare, growth or soak, got ${JSON.stringify(mode)}`);
  const run = runConfigFromEnv(process.env, {
    contenders: Object.keys(CONTENDERS),
    defaultContenders: DEFAULT_CONTENDERS,
    workloads: Object.keys(WORKLOADS),
    groups: GROUPS.map((g) => g.name),
  });
  const groups: GroupSelection[] = [];
  for (const selection of selectGroups(run.contenders, GROUPS, run.groups)) {
    const reason = (await selection.group.unavailable?.()) ?? null;
    if (reason === null) groups.push(selection);
    else
      console.log(
        `the ${selection.group.name} group (${selection.contenders.join(", ")}) was skipped: ${reason}`,
      );
  }
  if (groups.length === 0) {
    throw new Error(
      `BENCH_CONTENDERS (${run.contenders.join(", ")}) has no contender in BENCH_GROUPS (${run.groups.join(", ")}) that can run here`,
    );
  }
  // Report order: by group, so a group's contenders run one after another.
  const contenders = groups.flatMap((g) => g.contenders);
  const sizesOf = (g: GroupSelection) => workloadConfigFromEnv(process.env, g.group);
  const node = resolveNodeBinary(process.env);
  const workloads = run.workloads.map((name) => WORKLOADS[name] as Workload);
  if (process.env.BENCH_CPU_PROF) {
    // "1" means the default folder; children write one profile per timed phase there.
    const dir =
      process.env.BENCH_CPU_PROF === "1" ? `${RESULTS_DIR}profiles` : resolve(process.env.BENCH_CPU_PROF);
    mkdirSync(dir, { recursive: true });
    process.env.BENCH_CPU_PROF = dir;
    console.log(
      `CPU profiles of each timed phase go to ${dir} (the profiler slows the runs: figures are not comparable)`,
    );
  }

  console.log(
    `@sched bench: Node ${node.version} (${node.source}), ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ""}`,
  );
  if (process.env.BENCH_BASELINE) {
    console.log(
      "  (BENCH_BASELINE is ignored: each group's @sched contender is compared with every peer of its group)",
    );
  }
  for (const g of groups) {
    const sizes = sizesOf(g);
    console.log(
      `  ${g.group.name}: throughput ${sizes.jobs.toLocaleString("en-US")} jobs; idle latency ${sizes.latencySamples} ` +
        `samples at ${sizes.latencyRate}/s after ${sizes.latencyWarmup} warm-up; delayed ${sizes.delayedJobs} jobs due ` +
        `in ${sizes.delayMs} ms; concurrency ${sizes.concurrency}; groups ${sizes.controlJobs.toLocaleString("en-US")} jobs ` +
        `over ${sizes.groupKeys} keys; global concurrency ${sizes.globalConcurrency}; rate limit ` +
        `${sizes.rateJobs.toLocaleString("en-US")} jobs at ${sizes.rateMax} per ${sizes.ratePerMs} ms`,
    );
    for (const name of g.contenders) console.log(`    ${name}: ${CONTENDERS[name]?.description ?? ""}`);
  }
  console.log(`  ${run.runs} run(s) of each contender × workload, each in a fresh process; medians shown`);
  console.log("");

  const results: RunResult[] = [];
  // Runs are interleaved (every contender once, then again) so that drift of the machine
  // spreads over all contenders instead of landing on one.
  for (let r = 1; r <= run.runs; r++) {
    for (const workload of workloads) {
      for (const contender of contenders) {
        // A workload that needs a queue control the contender lacks (BullMQ has no groups), or
        // that a server floor does not measure, is not run.
        if (!runsWorkload(contender, workload)) continue;
        await groups.find((g) => g.contenders.includes(contender))?.group.settle?.();
        const result = await runChild(node, contender, workload.name, r, run.childTimeoutMs);
        results.push(result);
        const summary = result.ok
          ? workload.metrics
              .map(
                (m) => `${m.label} ${formatValue(result.metrics?.[m.key] ?? Number.NaN, m.unit)} ${m.unit}`,
              )
              .join(", ")
          : `FAILED: ${result.error?.split("\n")[0]}`;
        console.error(`  ${contender} ${workload.name} #${r}: ${summary}`);
        if (!result.ok && result.error) console.error(result.error);
      }
    }
  }

  const figures = summarize(results, workloads, groups);
  const bars = groups.flatMap((g) => evaluateBar(figures, g));
  const variants = groups.flatMap((g) => evaluateVariants(figures, g));
  console.log("");
  console.log(
    renderReport(figures, groups, bars, (g) => {
      const sizes = sizesOf(g);
      return (
        `== ${g.group.name}: ${g.group.title}; throughput ${sizes.jobs.toLocaleString("en-US")} jobs` +
        (peersOf(g).length > 0 ? `; "vs <peer>": how many times better ${g.subject} is` : "")
      );
    }),
  );

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}latest.json`;
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: totalmem() / 2 ** 30,
  };
  const json = {
    finishedAt: new Date().toISOString(),
    node: { path: node.path, version: node.version, source: node.source },
    machine,
    config: {
      ...run,
      groups: groups.map((g) => ({ name: g.group.name, contenders: g.contenders, sizes: sizesOf(g) })),
    },
    figures,
    bars,
    variants,
    runs: results,
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${file}`);

  const failedRuns = results.filter((r) => !r.ok).length;
  const missed =
    figures.filter((f) => f.targetMet === false).length + bars.filter((b) => b.met === false).length;
  if (failedRuns > 0) console.error(`${failedRuns} run(s) failed`);
  if (missed > 0)
    console.log(
      `${missed} target(s) or bar check(s) missed${run.strict ? "" : " (set BENCH_STRICT=1 to fail on that)"}`,
    );
  return failedRuns > 0 || (run.strict && missed > 0) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
