import type { BackendVariables } from "@sched/core/adapter";

/**
 * The `SCHEDULER_MONGODB_*` variables, read with `readBackendEnv` from `@sched/core/adapter` by
 * the store's and the leader's `fromEnv`: both read the same ones, and each accepts them all. The
 * URL is read as secret text, not parsed here: a replica set's URL names several hosts
 * (`mongodb://h1:27017,h2:27017/app`), which a WHATWG URL refuses; the store and the leader check
 * it as the driver reads it.
 */
export const MONGODB_ENV_VARIABLES = {
  SCHEDULER_MONGODB_URL: { kind: "text", secret: true },
  SCHEDULER_MONGODB_DATABASE: {
    kind: "text",
    pattern: /^[^/\\. "$*<>:|?\0]{1,63}$/,
    expected: 'a database name without / \\ . " $ * < > : | ? or spaces',
  },
  SCHEDULER_MONGODB_COLLECTION_PREFIX: {
    kind: "text",
    pattern: /^[A-Za-z0-9_.-]{1,60}$/,
    expected: "1-60 characters of A-Z a-z 0-9 _ . -",
  },
  SCHEDULER_MONGODB_AUTO_MIGRATE: { kind: "boolean" },
} as const satisfies BackendVariables;

/** The option each variable sets, to name the variable when a constructor refuses its value. */
export const MONGODB_VARIABLE_OF_OPTION: Readonly<Record<string, string>> = {
  url: "SCHEDULER_MONGODB_URL",
  dbName: "SCHEDULER_MONGODB_DATABASE",
  collectionPrefix: "SCHEDULER_MONGODB_COLLECTION_PREFIX",
};
