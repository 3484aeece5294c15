import { defineConfig } from "tsup";

export default defineConfig({
  // `main` orchestrates; `child` runs one workload for one contender in a fresh process;
  // `profile-summary` reads the CPU profiles that `BENCH_CPU_PROF` makes.
  entry: { main: "src/main.ts", child: "src/child.ts", "profile-summary": "src/profile-summary.ts" },
  format: ["esm"],
  clean: true,
  sourcemap: true,
  target: "node20",
});
