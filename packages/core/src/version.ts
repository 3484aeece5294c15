declare const __SCHED_CORE_VERSION__: string | undefined;

/** The version of `@sched/core` (set from its package.json at build time; `0.0.0-dev` from source). */
export const CORE_VERSION: string =
  typeof __SCHED_CORE_VERSION__ === "string" ? __SCHED_CORE_VERSION__ : "0.0.0-dev";
