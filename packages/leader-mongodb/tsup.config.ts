import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  external: ["mongodb", "@sched/core", "@sched/store-mongodb"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
