import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "connection/index": "src/connection/index.ts" },
  format: ["esm", "cjs"],
  external: ["mongodb", "@sched/core"],
  dts: true,
  clean: true,
  // Shared chunks in both formats: one copy of each module for both entry points (see @sched/core).
  splitting: true,
  sourcemap: true,
  target: "node20",
});
