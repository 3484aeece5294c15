import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "connection/index": "src/connection/index.ts" },
  format: ["esm", "cjs"],
  external: ["mongodb", "@sched/core"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
