import { defineConfig } from "tsup";

export default defineConfig({
  // `main` orchestrates; `child` runs one workload for one contender in a fresh process;
  // `profile-summary` reads the CPU profiles that `BENCH_CPU_PROF` makes; `flat-cost` measures
  // PostgreSQL throughput and claim latency as the jobs table grows.
  entry: {
    main: "src/main.ts",
    child: "src/child.ts",
    "profile-summary": "src/profile-summary.ts",
    "flat-cost": "src/flat-cost.ts",
  },
  format: ["esm"],
  clean: true,
  sourcemap: true,
  target: "node20",
  // tsup bundles devDependencies: the peers, the PostgreSQL, Redis and MongoDB stores and the OpenTelemetry
  // middleware (with the API whose global providers it reads) are loaded from node_modules instead,
  // at run time and only in their own child, so that the bench runs them as built now (not as they
  // were when the bench was) and the profiles map into their sources.
  external: [
    "pg",
    "pg-boss",
    "graphile-worker",
    "@sched/store-postgres",
    "bullmq",
    "ioredis",
    "@sched/store-redis",
    "@sched/middleware-otel",
    "@opentelemetry/api",
    "mongodb",
    "agenda",
    "@agendajs/mongo-backend",
    "@sched/store-mongodb",
    // The charts of the growth curves and the soak (orchestrator only).
    "@observablehq/plot",
    "linkedom",
  ],
});
