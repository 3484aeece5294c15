import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  external: ["@sched/core", "@sched/dashboard", "hono", "@hono/node-server"],
  define: { __VERSION__: JSON.stringify(version) },
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
});
