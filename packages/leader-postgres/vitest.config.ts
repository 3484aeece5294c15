import { defineConfig } from "vitest/config";
import { sqlAsText } from "../../scripts/vitest-sql-as-text.mjs";

export default defineConfig({
  plugins: [sqlAsText],
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 80 },
    },
  },
});
