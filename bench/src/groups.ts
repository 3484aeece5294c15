import type { WorkloadConfig } from "./config.js";

/**
 * One check of the bar @sched holds itself to against its peers, stated on the ratio the report
 * shows (oriented so that above 1 is better for @sched, whichever way the figure points):
 * `ratio >= 2` on processed jobs/s is "at least twice the throughput", `ratio > 1` on p99 is
 * "a lower p99".
 */
export interface BarCheck {
  workload: string;
  metric: string;
  /**
   * The peer it is compared with, as the report names it. When it lists several contenders (one
   * peer measured in several configurations), the best of them counts.
   */
  peer: string;
  contenders: string[];
  op: ">=" | ">";
  ratio: number;
}

/**
 * A contender that is the group's subject with one thing added (a middleware), measured to show
 * what that costs. It is not a peer: no `vs` column, no bar; a line under the table gives its
 * figures divided by the subject's.
 */
export interface SubjectVariant {
  contender: string;
  /** What the line is called, e.g. `otel no-op overhead`. */
  label: string;
  /**
   * `floor`: not the subject with something added but the least the server allows for the same
   * work (contenders/floor.ts); its line gives its own figures and how many times them the
   * subject's are. `variant` when absent.
   */
  kind?: "variant" | "floor";
  /** The figures the line shows, in order, each with its short name on the line. */
  figures: Array<{ workload: string; metric: string; label: string }>;
}

/** Contenders that share a backend, measured with the same sizes and compared with one another. */
export interface Group {
  name: string;
  title: string;
  /** Workload sizes of this group that differ from the defaults of `config.ts`. */
  sizes: Partial<WorkloadConfig>;
  /** The @sched contender of the group: its rows carry a ratio against each other contender. */
  subject: string;
  /** Every contender of the group, in report order (the subject after its peers, its variants after it). */
  contenders: string[];
  /** What the subject must achieve against its peers; checked when they ran in the same run. */
  bar: BarCheck[];
  /** Contenders of the group that are the subject with something added; none by default. */
  variants?: SubjectVariant[];
  /**
   * Why the group cannot run on this machine (e.g. no server answers), or `null` when it can; the
   * bench then prints that the group was skipped, with the reason. Always runnable when absent.
   */
  unavailable?: () => Promise<string | null>;
  /**
   * Run by the bench before each child of the group (each contender × workload × run), outside
   * every measurement: brings the server to the same quiet state for every contender. None when
   * absent.
   */
  settle?: () => Promise<void>;
}

const GRAPHILE = ["graphile-worker", "graphile-worker-localqueue"];

/** A server floor (contenders/floor.ts) as a group's variant: its idle p50 and p99 beside the subject's. */
function floor(contender: string, label: string): SubjectVariant {
  return {
    contender,
    kind: "floor",
    label,
    figures: [
      { workload: "idle-latency", metric: "p50", label: "idle p50" },
      { workload: "idle-latency", metric: "p99", label: "idle p99" },
    ],
  };
}

/** The groups, in report order. */
export const GROUPS: Group[] = [
  {
    name: "memory",
    title: "in-memory store",
    sizes: { jobs: 100_000 },
    subject: "sched-memory",
    contenders: ["sched-memory", "sched-memory-otel"],
    bar: [],
    variants: [
      {
        contender: "sched-memory-otel",
        label: "otel no-op overhead",
        figures: [
          { workload: "throughput", metric: "processedPerSec", label: "throughput" },
          { workload: "throughput", metric: "enqueuePerSec", label: "bulk enqueue" },
          { workload: "idle-latency", metric: "p50", label: "idle p50" },
          { workload: "idle-latency", metric: "p99", label: "idle p99" },
        ],
      },
    ],
  },
  {
    name: "postgres",
    title: "PostgreSQL (one server, one schema per contender)",
    sizes: { jobs: 20_000 },
    subject: "sched-postgres",
    contenders: ["pg-boss", ...GRAPHILE, "sched-postgres", "postgres-floor"],
    bar: [
      {
        workload: "throughput",
        metric: "processedPerSec",
        peer: "graphile-worker (best of its 2 configs)",
        contenders: GRAPHILE,
        op: ">=",
        ratio: 2,
      },
      {
        workload: "throughput",
        metric: "enqueuePerSec",
        peer: "graphile-worker (best of its 2 configs)",
        contenders: GRAPHILE,
        op: ">=",
        ratio: 1.5,
      },
      {
        workload: "throughput",
        metric: "processedPerSec",
        peer: "pg-boss",
        contenders: ["pg-boss"],
        op: ">=",
        ratio: 2,
      },
      {
        workload: "idle-latency",
        metric: "p99",
        peer: "pg-boss",
        contenders: ["pg-boss"],
        op: ">",
        ratio: 1,
      },
      {
        workload: "idle-latency",
        metric: "p99",
        peer: "graphile-worker (best of its 2 configs)",
        contenders: GRAPHILE,
        op: ">",
        ratio: 1,
      },
    ],
    variants: [floor("postgres-floor", "server floor, one INSERT and COMMIT per job")],
    // The writes of the runs before (their dirty pages) are flushed before each run, so that no
    // checkpoint started by them writes during another contender's measurement.
    settle: async () => (await import("./contenders/postgres.js")).checkpoint(),
  },
  {
    name: "redis",
    title: "Redis (one server, one key prefix per contender)",
    sizes: { jobs: 20_000 },
    subject: "sched-redis",
    contenders: ["bullmq", "sched-redis", "redis-floor"],
    bar: [
      {
        workload: "throughput",
        metric: "processedPerSec",
        peer: "bullmq",
        contenders: ["bullmq"],
        op: ">=",
        ratio: 2,
      },
      {
        workload: "idle-latency",
        metric: "p99",
        peer: "bullmq",
        contenders: ["bullmq"],
        op: ">",
        ratio: 1,
      },
    ],
    variants: [floor("redis-floor", "server floor, one SET per job")],
  },
  {
    name: "mongodb",
    title: "MongoDB (one server, one database per contender)",
    sizes: { jobs: 20_000 },
    subject: "sched-mongodb",
    contenders: ["agenda", "sched-mongodb"],
    bar: [],
    // Only when a MongoDB server answers: this repository's machines have none.
    unavailable: async () => (await import("./contenders/mongodb.js")).mongoUnavailable(),
  },
];

/** The group a contender belongs to. */
export function groupOf(contender: string, groups: readonly Group[] = GROUPS): Group {
  const group = groups.find((g) => g.contenders.includes(contender));
  if (!group) throw new Error(`contender ${JSON.stringify(contender)} is in no group`);
  return group;
}

/** The contenders of one group that a run measures, in the group's order. */
export interface GroupSelection {
  group: Group;
  contenders: string[];
  /** The group's subject if it was selected, else null (no ratios then). */
  subject: string | null;
}

/**
 * The selected contenders the subject is compared with (a `vs` column each): every other one but
 * the subject's variants; none when the subject was not selected.
 */
export function peersOf(selection: GroupSelection): string[] {
  if (selection.subject === null) return [];
  const variants = new Set((selection.group.variants ?? []).map((v) => v.contender));
  return selection.contenders.filter((c) => c !== selection.subject && !variants.has(c));
}

/**
 * Which contenders of each group were selected; groups with none are left out, and so are groups
 * not named in `groupNames` when it is given (`BENCH_GROUPS`).
 */
export function selectGroups(
  selected: readonly string[],
  groups: readonly Group[] = GROUPS,
  groupNames?: readonly string[],
): GroupSelection[] {
  const out: GroupSelection[] = [];
  for (const group of groups) {
    if (groupNames && !groupNames.includes(group.name)) continue;
    const contenders = group.contenders.filter((c) => selected.includes(c));
    if (contenders.length === 0) continue;
    out.push({ group, contenders, subject: contenders.includes(group.subject) ? group.subject : null });
  }
  return out;
}
