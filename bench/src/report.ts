import type { RunResult } from "./protocol.js";
import { median } from "./stats.js";
import { meets, targetFor } from "./targets.js";
import type { MetricSpec, Workload } from "./workloads/index.js";

/** One figure of one contender: the median over its successful runs. */
export interface Figure {
  workload: string;
  metric: string;
  label: string;
  unit: MetricSpec["unit"];
  better: MetricSpec["better"];
  contender: string;
  /** Median over the successful runs; `null` when every run failed. */
  value: number | null;
  /** Every run's value, in run order. */
  runs: number[];
  /** How many times better than the baseline (> 1 is better, whichever way the metric points). */
  ratio: number | null;
  target: string | null;
  targetMet: boolean | null;
}

/** Medians per contender × workload × metric, with ratios against `baseline` and the targets checked. */
export function summarize(
  results: readonly RunResult[],
  workloads: readonly Workload[],
  contenders: readonly string[],
  baseline: string,
): Figure[] {
  const figures: Figure[] = [];
  for (const workload of workloads) {
    for (const spec of workload.metrics) {
      const figureOf = (contender: string): { value: number | null; runs: number[] } => {
        const runs = results
          .filter((r) => r.ok && r.contender === contender && r.workload === workload.name)
          .map((r) => r.metrics?.[spec.key])
          .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
        return { value: runs.length > 0 ? median(runs) : null, runs };
      };
      const base = figureOf(baseline).value;
      for (const contender of contenders) {
        const { value, runs } = figureOf(contender);
        const target = targetFor(contender, workload.name, spec.key);
        figures.push({
          workload: workload.name,
          metric: spec.key,
          label: spec.label,
          unit: spec.unit,
          better: spec.better,
          contender,
          value,
          runs,
          ratio: ratioOf(value, base, spec.better),
          target: target ? `${target.op} ${formatValue(target.value, spec.unit)}` : null,
          targetMet: target && value !== null ? meets(target, value) : null,
        });
      }
    }
  }
  return figures;
}

function ratioOf(value: number | null, base: number | null, better: MetricSpec["better"]): number | null {
  if (value === null || base === null || value <= 0 || base <= 0) return null;
  return better === "higher" ? value / base : base / value;
}

/** A figure as shown: thousands separators for rates, finer decimals for small times. */
export function formatValue(value: number, unit: MetricSpec["unit"]): string {
  if (unit === "jobs/s") return Math.round(value).toLocaleString("en-US");
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * The results as an aligned text table. With more than one contender a ratio column compares each
 * with the baseline; a target column shows @sched's goals and whether they were met.
 */
export function renderTable(
  figures: readonly Figure[],
  contenders: readonly string[],
  baseline: string,
): string {
  const withRatio = contenders.length > 1;
  const header = ["workload", "metric", "contender", "value", "unit"];
  if (withRatio) header.push(`vs ${baseline}`);
  header.push("target", "");
  const rows: string[][] = [header];
  let previousWorkload = "";
  let previous = "";
  for (const f of figures) {
    const group = `${f.workload}/${f.metric}`;
    const row = [
      f.workload === previousWorkload ? "" : f.workload,
      group === previous ? "" : f.label,
      f.contender,
      f.value === null ? "failed" : formatValue(f.value, f.unit),
      f.unit,
    ];
    previous = group;
    previousWorkload = f.workload;
    if (withRatio)
      row.push(f.contender === baseline ? "baseline" : f.ratio === null ? "-" : `${f.ratio.toFixed(2)}x`);
    row.push(f.target ?? "", f.targetMet === null ? "" : f.targetMet ? "PASS" : "FAIL");
    rows.push(row);
  }
  const numeric = new Set([3, ...(withRatio ? [5] : [])]);
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.slice(1).map(line)].join("\n");
}
