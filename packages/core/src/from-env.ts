import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Config, configFromEnv, optionsFromConfig } from "./config/env-config.js";
import type { SchedulerOptions } from "./config/options.js";
import { AdapterNotInstalledError, ConfigError } from "./errors.js";
import type { Leader } from "./leadership/leader.js";
import { MemoryLeader, MemoryStore } from "./memory/index.js";
import { Scheduler } from "./scheduler.js";
import type { Store } from "./store/store.js";
import { readOptions } from "./validation/read-options.js";

type Env = Record<string, string | undefined>;

/** What an adapter package exports for {@link createSchedulerFromEnv}. */
interface AdapterModule {
  fromEnv(env: Env): Store | Leader | Promise<Store | Leader>;
}

/** Loads a package by name; a seam so tests can stand in for packages that are not installed. */
export type ModuleLoader = (name: string) => Promise<unknown>;

/** Whether `err` says a module could not be found (ESM or CommonJS resolution). */
function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/**
 * The bare package name a module-not-found error names (`Cannot find package 'ioredis' imported
 * from …`, `Cannot find module 'pg'`), or `null` for a path or no name.
 */
function missingPackageOf(err: unknown): string | null {
  const message = (err as { message?: unknown } | null)?.message;
  const spec =
    typeof message === "string" ? /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1] : undefined;
  if (spec === undefined || spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("file:"))
    return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/**
 * Imports an optional package (an adapter, `@sched/http`) as the application would. A bare
 * `import(name)` resolves from @sched/core's own folder, which finds the package only where
 * dependencies are hoisted (npm, yarn); pnpm keeps each package's dependencies beside it, so the
 * package the application installed is found from the application's folders instead: the main
 * script's, then the working directory.
 *
 * @throws the import's error (code `ERR_MODULE_NOT_FOUND` when it is found nowhere).
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

async function loadAdapter(name: string, load: ModuleLoader): Promise<AdapterModule> {
  let mod: unknown;
  try {
    mod = await load(name);
  } catch (err) {
    if (isModuleNotFound(err)) {
      const missing = missingPackageOf(err);
      throw new AdapterNotInstalledError(
        name,
        missing === null || missing === name ? { cause: err } : { cause: err, missingDependency: missing },
      );
    }
    throw err;
  }
  if (typeof (mod as Partial<AdapterModule>)?.fromEnv !== "function") {
    throw new ConfigError(
      "SCHEDULER_STORE",
      `the package "${name}" does not export fromEnv(env); is it a @sched adapter?`,
    );
  }
  return mod as AdapterModule;
}

/**
 * Creates a scheduler configured from `SCHEDULER_*` variables. For `SCHEDULER_STORE=postgres`
 * (or redis, mongodb) it imports `@sched/store-postgres` and, when `SCHEDULER_DISTRIBUTED` is true,
 * `@sched/leader-postgres`, and builds them with their `fromEnv(env)`. The scheduler owns what it
 * built: `stop()` closes the store. `overrides` are merged over the environment's options.
 *
 * @param env - the environment to read, `process.env` by default (see {@link configFromEnv}).
 * @param overrides - scheduler options that win over the environment's; a `store` or `leader`
 *   given here is the one the scheduler uses, and `stop()` does not close it.
 * @param load - imports an adapter package by name; a seam for tests.
 * @throws ConfigError (`CONFIG_INVALID`) naming a bad variable: an unknown `SCHEDULER_*` name,
 *   another store's setting, a duration without a unit, or a value that does not parse;
 *   AdapterNotInstalledError (`ADAPTER_NOT_INSTALLED`) saying what to install; whatever the
 *   adapter's `fromEnv` throws.
 */
export async function createSchedulerFromEnv(
  given: Env = process.env,
  givenOverrides: SchedulerOptions = {},
  load: ModuleLoader = loadInstalledModule,
): Promise<Scheduler> {
  // Read once: a getter or proxy that throws is a ConfigError, and the adapters see what was read.
  const env = readOptions(given, "", "option");
  const overrides = readOptions(givenOverrides, "overrides", "option");
  const config: Config = configFromEnv(env);
  const options: SchedulerOptions = { ...optionsFromConfig(config), ...overrides };
  const distributed = options.distributed?.enabled ?? false;
  let store: Store;
  let leader: Leader | undefined;
  if (config.store === "memory") {
    store = new MemoryStore();
    if (distributed)
      leader = new MemoryLeader({
        instanceId: options.distributed?.instanceId,
        ttl: options.distributed?.lockTTL,
      });
  } else {
    store = (await (await loadAdapter(`@sched/store-${config.store}`, load)).fromEnv(env)) as Store;
    if (distributed && !overrides.leader) {
      try {
        leader = (await (await loadAdapter(`@sched/leader-${config.store}`, load)).fromEnv(env)) as Leader;
      } catch (err) {
        await store.close();
        throw err;
      }
    }
  }
  return new Scheduler(
    { ...options, store: overrides.store ?? store, leader: overrides.leader ?? leader },
    { store: !overrides.store, leader: !overrides.leader && leader !== undefined },
  );
}
