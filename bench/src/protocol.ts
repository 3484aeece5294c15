import type { Metrics } from "./workloads/index.js";

/** Prefix of the one stdout line in which a child reports its result; other output is passed through. */
export const RESULT_MARKER = "@@sched-bench-result@@ ";

/** What a child reports. */
export type ChildReport =
  | { ok: true; metrics: Metrics; node: string; rssMiB: number }
  | { ok: false; error: string; node: string };

/** One child run, as the orchestrator records it. */
export interface RunResult {
  contender: string;
  workload: string;
  /** 1-based run number. */
  run: number;
  ok: boolean;
  metrics: Metrics | null;
  error: string | null;
  /** `process.version` of the child. */
  node: string | null;
  /** Peak resident memory of the child, in MiB. */
  rssMiB: number | null;
  /** Wall time of the whole child process, in ms. */
  wallMs: number;
}
