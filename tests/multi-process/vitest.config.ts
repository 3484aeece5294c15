import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Each file starts several processes; running files one at a time keeps timings honest on 2 cores.
    fileParallelism: false,
  },
});
