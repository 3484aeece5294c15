import { defineConfig } from "vitest/config";

export default defineConfig({
  // The same as tsup's `loader: { ".lua": "text" }`: a Lua file imports as its source text.
  plugins: [
    {
      name: "lua-as-text",
      transform(code, id) {
        if (!id.endsWith(".lua")) return null;
        return { code: `export default ${JSON.stringify(code)};`, map: null };
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 80 },
    },
  },
});
