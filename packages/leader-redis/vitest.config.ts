import { defineConfig, type Plugin } from "vitest/config";

/** Imports `.lua` files as their text, as tsup's `text` loader does in the build. */
const luaAsText: Plugin = {
  name: "lua-as-text",
  transform(code, id) {
    if (!id.endsWith(".lua")) return null;
    return { code: `export default ${JSON.stringify(code)};`, map: null };
  },
};

export default defineConfig({
  plugins: [luaAsText],
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
