import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
  version: string;
};

export default defineConfig({
  entry: { index: "src/index.ts", "adapter/index": "src/adapter/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  // Shared chunks in both formats: one copy of each class (the errors above all) for the two entry
  // points, so `instanceof` holds across `@sched/core` and `@sched/core/adapter` from require too.
  splitting: true,
  sourcemap: true,
  target: "node20",
  // The version a scheduler reports in its presence record (see src/version.ts).
  define: { __SCHED_CORE_VERSION__: JSON.stringify(version) },
});
