import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "conformance/index": "src/conformance/index.ts" },
  format: ["esm", "cjs"],
  external: ["vitest", "@sched/core"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
