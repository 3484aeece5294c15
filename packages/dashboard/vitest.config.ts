import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The tests use what ships: the package is built (UI bundle and Node entry) before they run.
    globalSetup: ["test/support/build.ts"],
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    coverage: {
      provider: "v8",
      // The Node side; the UI (src/ui) runs in the browser and is tested there (tests/dashboard).
      include: ["src/**/*.ts"],
      exclude: ["src/ui/**"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 80 },
    },
  },
});
