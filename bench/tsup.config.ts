import { defineConfig } from "tsup";

export default defineConfig({
  // `main` orchestrates; `child` runs one workload for one contender in a fresh process.
  entry: { main: "src/main.ts", child: "src/child.ts" },
  format: ["esm"],
  clean: true,
  sourcemap: true,
  target: "node20",
});
