import type { RunResult } from "../src/protocol.js";
import type { Figure } from "../src/report.js";

/** A successful run of `workload` by `contender` with these figures. */
export function result(
  contender: string,
  workload: string,
  metrics: Record<string, number>,
  run = 1,
): RunResult {
  return { contender, workload, run, ok: true, metrics, error: null, node: "v22", rssMiB: 1, wallMs: 1 };
}

/** A failed run of `workload` by `contender`. */
export function failure(contender: string, workload: string, error: string, run = 1): RunResult {
  return { ...result(contender, workload, {}, run), ok: false, metrics: null, error };
}

/** The figure of one contender, workload and metric; throws when there is none. */
export function figureOf(
  figures: readonly Figure[],
  contender: string,
  workload: string,
  metric: string,
): Figure {
  const f = figures.find((x) => x.contender === contender && x.workload === workload && x.metric === metric);
  if (!f) throw new Error(`no figure ${contender} ${workload} ${metric}`);
  return f;
}
