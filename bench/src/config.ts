/** The sizes of the workloads; the child processes read them from the same environment. */
export interface WorkloadConfig {
  /**
   * Jobs in the throughput workload: `BENCH_<GROUP>_JOBS` (`BENCH_MEMORY_JOBS`,
   * `BENCH_POSTGRES_JOBS`), else `BENCH_JOBS`, else the group's size (100,000 in memory, 20,000 on
   * PostgreSQL).
   */
  jobs: number;
  /** Worker concurrency in every workload (`BENCH_CONCURRENCY`, default 50). */
  concurrency: number;
  /** Measured samples of the idle-latency workload (`BENCH_SAMPLES`, default 1,000). */
  latencySamples: number;
  /** Unmeasured samples before them (`BENCH_WARMUP`, default 100). */
  latencyWarmup: number;
  /** Enqueues per second in the idle-latency workload (`BENCH_RATE`, default 100). */
  latencyRate: number;
  /** Jobs in the delayed workload (`BENCH_DELAYED_JOBS`, default 2,000). */
  delayedJobs: number;
  /** How far ahead the delayed jobs are due, in ms (`BENCH_DELAY_MS`, default 1,000). */
  delayMs: number;
  /** Jobs of the `groups` and `global-concurrency` workloads (`BENCH_CONTROL_JOBS`, default 20,000). */
  controlJobs: number;
  /** Group keys the `groups` workload spreads its jobs over (`BENCH_GROUP_KEYS`, default 100). */
  groupKeys: number;
  /** The limit of the `global-concurrency` workload (`BENCH_GLOBAL_CONCURRENCY`, default 10). */
  globalConcurrency: number;
  /** Jobs of the `rate-limit` workload (`BENCH_RATE_JOBS`, default 5,000). */
  rateJobs: number;
  /** Its limit: jobs started per window (`BENCH_RATE_MAX`, default 1,000)… */
  rateMax: number;
  /** …of this many ms (`BENCH_RATE_PER_MS`, default 1,000). */
  ratePerMs: number;
}

/** What the orchestrator runs. */
export interface RunConfig {
  /** Contender names (`BENCH_CONTENDERS`, comma-separated). */
  contenders: string[];
  /** Group names (`BENCH_GROUPS`, comma-separated; default all): only their contenders run. */
  groups: string[];
  /** Workload names (`BENCH_WORKLOADS`, comma-separated; default all). */
  workloads: string[];
  /** Fresh-process runs of each contender × workload; the report shows medians (`BENCH_RUNS`, default 1). */
  runs: number;
  /** Exit non-zero when a target is missed (`BENCH_STRICT=1`); a failed run always exits non-zero. */
  strict: boolean;
  /** The most one child process may take, in ms (`BENCH_CHILD_TIMEOUT_MS`, default 300,000). */
  childTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

/**
 * The integer in `env[name]` (`_` allowed between digits, as in `1_000_000`), at least `min`
 * (default 1); `fallback` when the variable is unset or blank.
 *
 * @throws Error naming the variable when its value is not an integer >= `min`, or when it is
 *   unset or blank and there is no `fallback`.
 */
export function integerFromEnv(
  env: Env,
  name: string,
  { min = 1, fallback }: { min?: number; fallback?: number } = {},
): number {
  const raw = env[name] ?? "";
  const blank = raw.trim() === "";
  if (blank && fallback !== undefined) return fallback;
  const value = blank ? Number.NaN : Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value < min) {
    const wanted = min === 1 ? "a positive integer" : `an integer >= ${min}`;
    throw new Error(`${name} must be ${wanted}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  return integerFromEnv(env, name, { fallback });
}

function list(env: Env, name: string, fallback: readonly string[], known: readonly string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return [...fallback];
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const n of names) {
    if (!known.includes(n))
      throw new Error(`${name}: unknown name ${JSON.stringify(n)}; known: ${known.join(", ")}`);
  }
  return names;
}

/** What sizes a group of contenders sets for itself (see `groups.ts`). */
export interface SizeDefaults {
  /** Upper-cased into the group's own variables, e.g. `BENCH_POSTGRES_JOBS`. */
  name: string;
  sizes: Partial<WorkloadConfig>;
}

/** Reads the workload sizes of a group (or the defaults) from the environment. */
export function workloadConfigFromEnv(env: Env, group?: SizeDefaults): WorkloadConfig {
  const d = group?.sizes ?? {};
  const jobs = positiveInt(env, "BENCH_JOBS", d.jobs ?? 100_000);
  return {
    jobs: group ? positiveInt(env, `BENCH_${group.name.toUpperCase()}_JOBS`, jobs) : jobs,
    concurrency: positiveInt(env, "BENCH_CONCURRENCY", d.concurrency ?? 50),
    latencySamples: positiveInt(env, "BENCH_SAMPLES", d.latencySamples ?? 1_000),
    latencyWarmup: positiveInt(env, "BENCH_WARMUP", d.latencyWarmup ?? 100),
    latencyRate: positiveInt(env, "BENCH_RATE", d.latencyRate ?? 100),
    delayedJobs: positiveInt(env, "BENCH_DELAYED_JOBS", d.delayedJobs ?? 2_000),
    delayMs: positiveInt(env, "BENCH_DELAY_MS", d.delayMs ?? 1_000),
    controlJobs: positiveInt(env, "BENCH_CONTROL_JOBS", d.controlJobs ?? 20_000),
    groupKeys: positiveInt(env, "BENCH_GROUP_KEYS", d.groupKeys ?? 100),
    globalConcurrency: positiveInt(env, "BENCH_GLOBAL_CONCURRENCY", d.globalConcurrency ?? 10),
    rateJobs: positiveInt(env, "BENCH_RATE_JOBS", d.rateJobs ?? 5_000),
    rateMax: positiveInt(env, "BENCH_RATE_MAX", d.rateMax ?? 1_000),
    ratePerMs: positiveInt(env, "BENCH_RATE_PER_MS", d.ratePerMs ?? 1_000),
  };
}

/** Reads what to run from the environment, checking names against the known ones. */
export function runConfigFromEnv(
  env: Env,
  known: {
    contenders: readonly string[];
    defaultContenders: readonly string[];
    workloads: readonly string[];
    groups: readonly string[];
  },
): RunConfig {
  return {
    contenders: list(env, "BENCH_CONTENDERS", known.defaultContenders, known.contenders),
    groups: list(env, "BENCH_GROUPS", known.groups, known.groups),
    workloads: list(env, "BENCH_WORKLOADS", known.workloads, known.workloads),
    runs: positiveInt(env, "BENCH_RUNS", 1),
    strict: env.BENCH_STRICT === "1" || env.BENCH_STRICT === "true",
    childTimeoutMs: positiveInt(env, "BENCH_CHILD_TIMEOUT_MS", 300_000),
  };
}
