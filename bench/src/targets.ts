/** A goal @sched holds itself to on one figure. */
export interface Target {
  workload: string;
  metric: string;
  op: ">=" | "<" | "<=";
  value: number;
  /** Which contenders the target applies to. */
  appliesTo(contender: string): boolean;
}

const sched = (contender: string): boolean => contender.startsWith("sched-memory");
const durable = (contender: string): boolean => contender === "sched-postgres" || contender === "sched-redis";
const anySched = (contender: string): boolean => contender.startsWith("sched-");

/**
 * @sched's targets on a 2-core machine: the in-memory store's throughput and idle p99; an idle
 * job started within 3 ms (p99, enqueue to start) on PostgreSQL and Redis; the first of a batch of
 * delayed jobs at most 10 ms late on every backend.
 */
export const TARGETS: Target[] = [
  { workload: "throughput", metric: "processedPerSec", op: ">=", value: 100_000, appliesTo: sched },
  { workload: "idle-latency", metric: "p99", op: "<", value: 2, appliesTo: sched },
  { workload: "idle-latency", metric: "p99", op: "<=", value: 3, appliesTo: durable },
  { workload: "delayed", metric: "first", op: "<=", value: 10, appliesTo: anySched },
];

/** The target of a figure for a contender, if any. */
export function targetFor(contender: string, workload: string, metric: string): Target | undefined {
  return TARGETS.find((t) => t.workload === workload && t.metric === metric && t.appliesTo(contender));
}

/** Whether `value` meets `target`. */
export function meets(target: Target, value: number): boolean {
  if (target.op === ">=") return value >= target.value;
  return target.op === "<=" ? value <= target.value : value < target.value;
}
