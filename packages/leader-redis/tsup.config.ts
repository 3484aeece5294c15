import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  external: ["ioredis", "@sched/core", "@sched/store-redis"],
  // The Lua scripts are inlined as strings: nothing to locate at run time, in ESM or CommonJS.
  loader: { ".lua": "text" },
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
