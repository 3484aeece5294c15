import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  external: ["pg", "@sched/core", "@sched/store-postgres"],
  // The statements (sql/*.sql) are inlined as strings, as in @sched/store-postgres: nothing to
  // locate at run time, in ESM or CommonJS.
  loader: { ".sql": "text" },
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
