import { defineConfig } from "tsup";

// Only the Node entry is built here; the browser app is bundled beforehand by scripts/build-ui.mjs
// into dist/ui, which `clean: false` keeps.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: false,
  sourcemap: true,
  shims: true,
  target: "node20",
});
