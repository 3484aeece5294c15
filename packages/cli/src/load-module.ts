export { loadInstalledModule, type ModuleLoader } from "@sched/core";

/** Whether `err` says a module could not be found (ESM or CommonJS resolution). */
export function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}
