import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "connection/index": "src/connection/index.ts" },
  format: ["esm", "cjs"],
  external: ["pg", "@sched/core"],
  // The statements (sql/*.sql) are inlined as strings: nothing to locate at run time.
  loader: { ".sql": "text" },
  dts: true,
  clean: true,
  // Shared chunks in both formats: one copy of each module for both entry points (see @sched/core).
  splitting: true,
  sourcemap: true,
  target: "node20",
  // The CommonJS build gets `import.meta.url`, which locates migrations/ beside dist/.
  shims: true,
});
