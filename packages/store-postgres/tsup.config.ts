import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  external: ["pg", "@sched/core"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  // The CommonJS build gets `import.meta.url`, which locates migrations/ beside dist/.
  shims: true,
});
