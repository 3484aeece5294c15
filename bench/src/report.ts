import { type BarCheck, type GroupSelection, peersOf } from "./groups.js";
import type { RunResult } from "./protocol.js";
import { median } from "./stats.js";
import { meets, targetFor } from "./targets.js";
import type { MetricSpec, Workload } from "./workloads/index.js";

/** One figure of one contender: the median over its successful runs. */
export interface Figure {
  /** The contender's group (`groups.ts`). */
  group: string;
  workload: string;
  metric: string;
  label: string;
  unit: MetricSpec["unit"];
  better: MetricSpec["better"];
  contender: string;
  /** Median over the successful runs; `null` when every run failed (or none ran). */
  value: number | null;
  /** Every successful run's value, in run order. */
  runs: number[];
  /** Runs of this contender × workload that failed. */
  failedRuns: number;
  /** The first line of the last failed run's error, if any run failed. */
  error: string | null;
  /**
   * On the group's subject only: how many times better it is than each peer of its group (every
   * other contender but its variants; > 1 is better, whichever way the metric points); `null` where
   * either figure is missing.
   */
  ratios: Record<string, number | null> | null;
  target: string | null;
  targetMet: boolean | null;
}

/**
 * How many times better `value` is than `other`: value ÷ other for figures where higher is better
 * (jobs/s), other ÷ value where lower is better (latencies). Above 1 always means `value` is better.
 */
export function ratioOf(
  value: number | null,
  other: number | null,
  better: MetricSpec["better"],
): number | null {
  if (value === null || other === null || value <= 0 || other <= 0) return null;
  return better === "higher" ? value / other : other / value;
}

/**
 * Medians per contender × workload × metric; on each group's subject, its ratio against every
 * peer of the group; @sched's own targets checked.
 */
export function summarize(
  results: readonly RunResult[],
  workloads: readonly Workload[],
  groups: readonly GroupSelection[],
): Figure[] {
  const figures: Figure[] = [];
  for (const selection of groups) {
    const peers = peersOf(selection);
    for (const workload of workloads) {
      for (const spec of workload.metrics) {
        const values = new Map<string, { value: number | null; runs: number[] }>();
        for (const contender of selection.contenders) {
          const runs = results
            .filter((r) => r.ok && r.contender === contender && r.workload === workload.name)
            .map((r) => r.metrics?.[spec.key])
            .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
          values.set(contender, { value: runs.length > 0 ? median(runs) : null, runs });
        }
        for (const contender of selection.contenders) {
          const { value, runs } = values.get(contender) as { value: number | null; runs: number[] };
          const failed = results.filter(
            (r) => !r.ok && r.contender === contender && r.workload === workload.name,
          );
          // Not run at all (the contender lacks the control the workload needs): no figure, no row.
          if (
            runs.length === 0 &&
            failed.length === 0 &&
            !results.some((r) => r.contender === contender && r.workload === workload.name)
          )
            continue;
          let ratios: Record<string, number | null> | null = null;
          if (contender === selection.subject) {
            ratios = {};
            for (const peer of peers) {
              ratios[peer] =
                spec.compare === false ? null : ratioOf(value, values.get(peer)?.value ?? null, spec.better);
            }
          }
          const target = targetFor(contender, workload.name, spec.key);
          figures.push({
            group: selection.group.name,
            workload: workload.name,
            metric: spec.key,
            label: spec.label,
            unit: spec.unit,
            better: spec.better,
            contender,
            value,
            runs,
            failedRuns: failed.length,
            error: firstLine(failed.at(-1)?.error ?? null),
            ratios,
            target: target ? `${target.op} ${formatValue(target.value, spec.unit)}` : null,
            targetMet: target && value !== null ? meets(target, value) : null,
          });
        }
      }
    }
  }
  return figures;
}

function firstLine(text: string | null): string | null {
  if (text === null) return null;
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.trim();
}

/** One check of a group's bar, evaluated. */
export interface BarResult {
  group: string;
  subject: string;
  workload: string;
  metric: string;
  label: string;
  unit: MetricSpec["unit"];
  /** E.g. `processed >= 2x pg-boss`. */
  requirement: string;
  peer: string;
  /** The peer configuration that counted (the best of those measured), and its figure. */
  peerContender: string | null;
  peerValue: number | null;
  subjectValue: number | null;
  ratio: number | null;
  /** `null` when it cannot be told: the subject or every configuration of the peer not measured. */
  met: boolean | null;
  /** Why it cannot be told, or which configurations of the peer were not measured. */
  note: string | null;
}

/**
 * Checks a group's bar against the figures of one run: `[]` when the group's subject did not run;
 * checks of a workload that was not run (`BENCH_WORKLOADS`) are left out.
 */
export function evaluateBar(figures: readonly Figure[], selection: GroupSelection): BarResult[] {
  const subject = selection.subject;
  if (subject === null) return [];
  return selection.group.bar
    .filter((check) =>
      figures.some(
        (f) =>
          f.group === selection.group.name &&
          f.contender === subject &&
          f.workload === check.workload &&
          f.metric === check.metric,
      ),
    )
    .map((check) => evaluateCheck(figures, selection, subject, check));
}

function evaluateCheck(
  figures: readonly Figure[],
  selection: GroupSelection,
  subject: string,
  check: BarCheck,
): BarResult {
  const find = (contender: string) =>
    figures.find(
      (f) =>
        f.group === selection.group.name &&
        f.contender === contender &&
        f.workload === check.workload &&
        f.metric === check.metric,
    );
  const mine = find(subject) as Figure;
  const { label, better, unit } = mine;
  const times = check.ratio === 1 ? "" : `${check.ratio}x `;
  const comparison = better === "higher" ? (check.op === ">=" ? ">=" : ">") : check.op === ">=" ? "<=" : "<";
  const requirement =
    better === "lower" && check.ratio !== 1
      ? `${label} ${comparison} 1/${check.ratio} of ${check.peer}`
      : `${label} ${comparison} ${times}${check.peer}`;
  // The best configuration of the peer among those measured.
  let peerContender: string | null = null;
  let peerValue: number | null = null;
  const missing: string[] = [];
  for (const contender of check.contenders) {
    const value = find(contender)?.value ?? null;
    if (value === null) {
      missing.push(contender);
      continue;
    }
    if (peerValue === null || (ratioOf(value, peerValue, better) ?? 0) > 1) {
      peerValue = value;
      peerContender = contender;
    }
  }
  const subjectValue = mine.value;
  const ratio = ratioOf(subjectValue, peerValue, better);
  let note: string | null = null;
  if (subjectValue === null) note = `${subject} has no figure`;
  else if (peerValue === null) note = `${check.peer} has no figure (${missing.join(", ")} failed or not run)`;
  else if (missing.length > 0) note = `without ${missing.join(", ")} (failed or not run)`;
  return {
    group: selection.group.name,
    subject,
    workload: check.workload,
    metric: check.metric,
    label,
    unit,
    requirement,
    peer: check.peer,
    peerContender,
    peerValue,
    subjectValue,
    ratio,
    met: ratio === null ? null : check.op === ">=" ? ratio >= check.ratio : ratio > check.ratio,
    note,
  };
}

/** One figure of a subject's variant beside the subject's. */
export interface VariantFigure {
  workload: string;
  metric: string;
  /** Its short name on the line, e.g. `idle p99`. */
  label: string;
  unit: MetricSpec["unit"];
  value: number | null;
  subjectValue: number | null;
  /**
   * value ÷ subjectValue, whichever way the figure points: below 1 on jobs/s and above 1 on
   * latencies mean the variant is slower. `null` when either figure is missing.
   */
  quotient: number | null;
}

/** A variant of a group's subject (`groups.ts`), its figures divided by the subject's. */
export interface VariantResult {
  group: string;
  contender: string;
  subject: string;
  label: string;
  /** See `SubjectVariant.kind`. */
  kind: "variant" | "floor";
  figures: VariantFigure[];
}

/**
 * The variants of a group's subject that ran beside it, each with the figures its group names:
 * `[]` when the subject was not selected; figures of a workload that was not run are left out, and
 * so is a variant left with none.
 */
export function evaluateVariants(figures: readonly Figure[], selection: GroupSelection): VariantResult[] {
  const subject = selection.subject;
  if (subject === null) return [];
  const find = (contender: string, workload: string, metric: string) =>
    figures.find(
      (f) =>
        f.group === selection.group.name &&
        f.contender === contender &&
        f.workload === workload &&
        f.metric === metric,
    );
  const out: VariantResult[] = [];
  for (const variant of selection.group.variants ?? []) {
    if (!selection.contenders.includes(variant.contender)) continue;
    const shown: VariantFigure[] = [];
    for (const { workload, metric, label } of variant.figures) {
      const mine = find(variant.contender, workload, metric);
      if (!mine) continue;
      const subjectValue = find(subject, workload, metric)?.value ?? null;
      const value = mine.value;
      const quotient =
        value === null || subjectValue === null || value <= 0 || subjectValue <= 0
          ? null
          : value / subjectValue;
      shown.push({ workload, metric, label, unit: mine.unit, value, subjectValue, quotient });
    }
    if (shown.length > 0) {
      out.push({
        group: selection.group.name,
        contender: variant.contender,
        subject,
        label: variant.label,
        kind: variant.kind ?? "variant",
        figures: shown,
      });
    }
  }
  return out;
}

/**
 * A variant as one line: `otel no-op overhead (sched-memory-otel ÷ sched-memory): throughput
 * 0.98x, …, idle p99 1.02x`; `-` where a figure is missing.
 */
export function renderVariant(variant: VariantResult): string {
  if (variant.kind === "floor") return renderFloor(variant);
  const figures = variant.figures.map((f) => `${f.label} ${formatRatio(f.quotient)}`).join(", ");
  return `${variant.label} (${variant.contender} ÷ ${variant.subject}): ${figures}`;
}

/**
 * A server floor as one line: `server floor, one INSERT and COMMIT per job (postgres-floor): idle
 * p50 0.95 ms, idle p99 2.10 ms; sched-postgres ÷ floor: 1.60x, 1.70x`; `-` where a figure is
 * missing.
 */
function renderFloor(floor: VariantResult): string {
  const own = floor.figures
    .map((f) => `${f.label} ${f.value === null ? "-" : `${formatValue(f.value, f.unit)} ${f.unit}`}`)
    .join(", ");
  const times = floor.figures.map((f) => formatRatio(f.quotient === null ? null : 1 / f.quotient)).join(", ");
  return `${floor.label} (${floor.contender}): ${own}; ${floor.subject} ÷ floor: ${times}`;
}

/** A figure as shown: thousands separators for rates, finer decimals for small times. */
export function formatValue(value: number, unit: MetricSpec["unit"]): string {
  if (unit === "jobs/s" || unit === "jobs") return Math.round(value).toLocaleString("en-US");
  if (unit === "x") return value.toFixed(2);
  const digits = Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio as shown: `2.10x`. */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? "-" : `${ratio.toFixed(2)}x`;
}

const MAX_ERROR = 100;

/**
 * One group's figures as an aligned text table. When the group's subject ran beside peers, its
 * rows carry one `vs <peer>` column per peer (above 1.00x: the subject is better).
 * A target column appears when a figure has one; a contender whose every run failed shows
 * `failed`, and the error's first line on the workload's first row.
 */
export function renderTable(figures: readonly Figure[], selection: GroupSelection): string {
  const mine = figures.filter((f) => f.group === selection.group.name);
  const peers = peersOf(selection);
  const withTarget = mine.some((f) => f.target !== null);
  const header = ["workload", "metric", "contender", "value", "unit", ...peers.map((p) => `vs ${p}`)];
  if (withTarget) header.push("target", "");
  header.push("");
  const numeric = new Set([3, ...peers.map((_, k) => 5 + k)]);
  const rows: string[][] = [];
  let previousWorkload = "";
  let previous = "";
  for (const f of mine) {
    const key = `${f.workload}/${f.metric}`;
    const row = [
      f.workload === previousWorkload ? "" : f.workload,
      key === previous ? "" : f.label,
      f.contender,
      f.value === null ? "failed" : formatValue(f.value, f.unit),
      f.unit,
    ];
    previous = key;
    previousWorkload = f.workload;
    for (const peer of peers) row.push(f.ratios ? formatRatio(f.ratios[peer] ?? null) : "");
    if (withTarget) row.push(f.target ?? "", f.targetMet === null ? "" : f.targetMet ? "PASS" : "FAIL");
    // A failure is one per contender × workload: its error shows on the workload's first figure.
    const firstOfWorkload = mine.find((x) => x.workload === f.workload && x.contender === f.contender) === f;
    row.push(firstOfWorkload ? noteOf(f) : "");
    rows.push(row);
  }
  const all = [header, ...rows];
  const widths = header.map((_, c) =>
    // The last column (notes) is not padded.
    c === header.length - 1 ? 0 : Math.max(...all.map((r) => (r[c] ?? "").length)),
  );
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths
    .map((w, c) => "-".repeat(c === header.length - 1 ? 0 : w))
    .join("  ")
    .trimEnd();
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function noteOf(f: Figure): string {
  if (f.failedRuns === 0) return "";
  const error = f.error ?? "";
  const short = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
  if (f.value === null) return `error: ${short}`;
  return `${f.failedRuns} run(s) failed: ${short}`;
}

/** A group's bar as lines of text: each check, the two figures, the ratio and PASS/FAIL. */
export function renderBar(bar: readonly BarResult[]): string {
  if (bar.length === 0) return "";
  const subject = bar[0]?.subject ?? "";
  const rows = bar.map((b) => [
    b.requirement,
    b.subjectValue === null ? "-" : `${formatValue(b.subjectValue, b.unit)} ${b.unit}`,
    b.peerValue === null ? "-" : `${formatValue(b.peerValue, b.unit)} ${b.unit}`,
    b.peerContender ?? "",
    formatRatio(b.ratio),
    b.met === null ? "n/a" : b.met ? "PASS" : "FAIL",
    b.note ?? "",
  ]);
  const header = [`bar of ${subject}`, subject, "peer", "peer's best config", "ratio", "", ""];
  const all = [header, ...rows];
  const numeric = new Set([1, 2, 4]);
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * Every group's table, each followed by its bar and by a line per variant of its subject, under a
 * title with the group's sizes.
 */
export function renderReport(
  figures: readonly Figure[],
  groups: readonly GroupSelection[],
  bars: readonly BarResult[],
  titleOf: (selection: GroupSelection) => string = (s) => `${s.group.name}: ${s.group.title}`,
): string {
  const parts: string[] = [];
  for (const selection of groups) {
    const bar = bars.filter((b) => b.group === selection.group.name);
    const variants = evaluateVariants(figures, selection);
    parts.push(
      [
        titleOf(selection),
        "",
        renderTable(figures, selection),
        ...(bar.length > 0 ? ["", renderBar(bar)] : []),
        ...(variants.length > 0 ? ["", ...variants.map(renderVariant)] : []),
      ].join("\n"),
    );
  }
  return parts.join("\n\n");
}
