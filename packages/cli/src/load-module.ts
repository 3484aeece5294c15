import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** Loads a package by name; a seam so tests can stand in for packages that are not installed. */
export type ModuleLoader = (name: string) => Promise<unknown>;

/** Whether `err` says a module could not be found (ESM or CommonJS resolution). */
export function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/**
 * Imports an optional package (`@sched/http`, a store's connection helpers) as the user installed
 * it: from this package's folder first, which finds it where dependencies are hoisted (npm, a
 * global install), then from the folders of the running script and of the working directory,
 * which find it under pnpm, where each package sees only its own dependencies.
 */
export const loadInstalledModule: ModuleLoader = async (name) => {
  try {
    return await import(name);
  } catch (err) {
    if (!isModuleNotFound(err)) throw err;
    const bases = [process.argv[1] ? dirname(process.argv[1]) : null, process.cwd()];
    for (const base of bases) {
      if (base === null) continue;
      let resolved: string;
      try {
        resolved = createRequire(join(base, "package.json")).resolve(name);
      } catch {
        continue;
      }
      return import(pathToFileURL(resolved).href);
    }
    throw err;
  }
};
