import type { Contender, Control } from "../contender.js";

/** A contender the bench knows: how to describe it and how to load it (only in the child that runs it). */
export interface ContenderEntry {
  /** One line for the report header. */
  description: string;
  /** Loads the module lazily, so a peer's dependencies are only loaded in its own process. */
  create(): Promise<Contender>;
  /** The queue controls it applies (`WorkerSettings.controls`); a workload needing another is not run for it. */
  controls?: readonly Control[];
  /** The only workloads it runs (names of `workloads/index.ts`); every workload when absent. */
  workloads?: readonly string[];
}

/** Whether `contender` runs `workload` (a known contender with no `workloads` runs all). */
export function runsWorkload(contender: string, workload: { name: string; needs?: Control }): boolean {
  const entry = CONTENDERS[contender];
  if (!entry) return false;
  if (entry.workloads && !entry.workloads.includes(workload.name)) return false;
  return !workload.needs || (entry.controls ?? []).includes(workload.needs);
}

const ALL_CONTROLS: readonly Control[] = ["groups", "globalConcurrency", "rateLimit"];

/**
 * Every contender by name; `groups.ts` says which are compared with which. To add one, write `contenders/<name>.ts` exporting `createContender()`, list it here and in
 * its group.
 */
export const CONTENDERS: Record<string, ContenderEntry> = {
  "sched-memory": {
    description: "@sched/core, MemoryStore, default settings",
    create: async () => (await import("./sched-memory.js")).createContender(),
    controls: ALL_CONTROLS,
  },
  "sched-memory-otel": {
    description:
      "as sched-memory + use(otel()) of @sched/middleware-otel, no OpenTelemetry SDK (no-op providers)",
    create: async () => (await import("./sched-memory-otel.js")).createContender(),
  },
  "pg-boss": {
    description:
      "pg-boss 12.38, useListenNotify + notify queue, one work() loop, batchSize 50, burstWhenBatchFull, " +
      "(notify)PollingIntervalSeconds 2, insert() for bulk",
    create: async () => (await import("./pg-boss.js")).createContender(),
  },
  "graphile-worker": {
    description: "graphile-worker 0.18, concurrency 50, maxPoolSize 52, addJobs() for bulk",
    create: async () => (await import("./graphile-worker.js")).createContender("default"),
  },
  "graphile-worker-localqueue": {
    description: "graphile-worker 0.18, as above + localQueue { size: 51 }, completeJobBatchDelay 0",
    create: async () => (await import("./graphile-worker.js")).createContender("localQueue"),
  },
  "sched-postgres": {
    description:
      "@sched/core, PostgresStore, workers 50, defaults otherwise (prefetch 150, claimBatchSize 200)",
    create: async () => (await import("./sched-postgres.js")).createContender(),
    controls: ALL_CONTROLS,
  },
  "postgres-floor": {
    description:
      "not a queue: one INSERT of the job into a table with only a bigint key and its COMMIT (synchronous_commit on), " +
      "on one connection, the handler called when it returns; idle latency only",
    create: async () => (await import("./floor.js")).createPostgresFloor(),
    workloads: ["idle-latency"],
  },
  bullmq: {
    description:
      "BullMQ 6.7 (ioredis 6), one Worker with concurrency 50, addBulk() in chunks of 1,000 for bulk, " +
      "delay option for jobs due later",
    create: async () => (await import("./bullmq.js")).createContender(),
    // Groups are BullMQ Pro only.
    controls: ["globalConcurrency", "rateLimit"],
  },
  "sched-redis": {
    description: "@sched/core, RedisStore, workers 50, defaults otherwise (prefetch 150, claimBatchSize 100)",
    create: async () => (await import("./sched-redis.js")).createContender(),
    controls: ALL_CONTROLS,
  },
  "redis-floor": {
    description:
      "not a queue: one SET of the job's payload, the handler called when it returns; idle latency only",
    create: async () => (await import("./floor.js")).createRedisFloor(),
    workloads: ["idle-latency"],
  },
  agenda: {
    description:
      "Agenda 6.2 (@agendajs/mongo-backend 4.0), concurrency 50, no lock limit, processEvery 1 s, " +
      "change-stream notifications on a replica set, now() with 100 in flight for bulk (no bulk API)",
    create: async () => (await import("./agenda.js")).createContender(),
  },
  "sched-mongodb": {
    description: "@sched/core, MongoStore, workers 50, defaults otherwise",
    create: async () => (await import("./sched-mongodb.js")).createContender(),
    controls: ALL_CONTROLS,
  },
};

/** The contenders run when `BENCH_CONTENDERS` is not set: all of them. */
export const DEFAULT_CONTENDERS = Object.keys(CONTENDERS);
