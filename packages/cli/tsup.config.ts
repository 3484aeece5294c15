import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  // `bin.ts` is the `sched` executable (its shebang is kept); `index.ts` the programmatic entry.
  entry: ["src/index.ts", "src/bin.ts"],
  format: ["esm", "cjs"],
  external: ["@sched/core", "commander"],
  define: { __VERSION__: JSON.stringify(version) },
  dts: { entry: ["src/index.ts"] },
  clean: true,
  sourcemap: true,
  target: "node20",
});
