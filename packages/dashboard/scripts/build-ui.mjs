// Bundles the browser app (src/ui) into dist/ui: index.html, assets/app.js and assets/app.css.
// Everything the page needs (Preact, uPlot, styles) is in these files, so the dashboard loads
// nothing from elsewhere at run time. The names are fixed (no content hash) because the HTTP
// package serves them from memory and decides caching itself.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "ui");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
await build({
  entryPoints: { app: join(root, "src", "ui", "main.tsx") },
  outdir: join(out, "assets"),
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(root, "src", "ui", "index.html"), join(out, "index.html"));
console.log(`dashboard UI built into ${out}`);
