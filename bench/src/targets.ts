/** A goal @sched holds itself to on one figure. */
export interface Target {
  workload: string;
  metric: string;
  op: ">=" | "<";
  value: number;
  /** Which contenders the target applies to. */
  appliesTo(contender: string): boolean;
}

const sched = (contender: string): boolean => contender.startsWith("sched-memory");

/** @sched's targets for its in-memory store on a 2-core machine. */
export const TARGETS: Target[] = [
  { workload: "throughput", metric: "processedPerSec", op: ">=", value: 100_000, appliesTo: sched },
  { workload: "idle-latency", metric: "p99", op: "<", value: 2, appliesTo: sched },
];

/** The target of a figure for a contender, if any. */
export function targetFor(contender: string, workload: string, metric: string): Target | undefined {
  return TARGETS.find((t) => t.workload === workload && t.metric === metric && t.appliesTo(contender));
}

/** Whether `value` meets `target`. */
export function meets(target: Target, value: number): boolean {
  return target.op === ">=" ? value >= target.value : value < target.value;
}
