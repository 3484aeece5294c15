// The rule of `check-adapter-imports.mjs`: adapter packages (stores and leaders) import from
// `@sched/core/adapter` only, never from the application entry `@sched/core` or a deep path.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Packages whose sources must import only the adapter surface of core. */
export const ADAPTER_PACKAGE = /^(store|leader)-/;

/** Every `@sched/core…` specifier in `source` (static imports and exports, `import()`, `require()`). */
export function coreSpecifiers(source) {
  const found = [];
  const pattern = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["'](@sched\/core(?:\/[^"']*)?)["']/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** The problems of one file: each specifier other than `@sched/core/adapter`. */
export function importProblems(file, source) {
  return coreSpecifiers(source)
    .filter((specifier) => specifier !== "@sched/core/adapter")
    .map((specifier) => `${file}: imports "${specifier}"; adapters import from "@sched/core/adapter" only`);
}

/** Every `.ts`/`.mts`/`.cts` file under `dir`. */
export function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.[mc]?ts$/.test(entry)) files.push(path);
  }
  return files;
}

/** The problems of every adapter package under `packagesDir`. */
export function adapterImportProblems(packagesDir) {
  const problems = [];
  for (const dir of readdirSync(packagesDir).filter((name) => ADAPTER_PACKAGE.test(name))) {
    const src = join(packagesDir, dir, "src");
    for (const file of sourceFiles(src)) problems.push(...importProblems(file, readFileSync(file, "utf8")));
  }
  return problems;
}
