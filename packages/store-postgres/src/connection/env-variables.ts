import type { BackendVariables } from "@sched/core/adapter";

/**
 * The `SCHEDULER_POSTGRES_*` variables, read with `readBackendEnv` from `@sched/core/adapter` by
 * the store's and the leader's `fromEnv`: both read the same ones, and each accepts them all.
 * Schema and prefix are lowercase only, so the quoted names the adapters create match unquoted
 * names in users' SQL.
 */
export const POSTGRES_ENV_VARIABLES = {
  SCHEDULER_POSTGRES_URL: { kind: "url", protocols: ["postgres:", "postgresql:"] },
  SCHEDULER_POSTGRES_SCHEMA: {
    kind: "text",
    pattern: /^[a-z_][a-z0-9_]{0,40}$/,
    expected: "a lowercase SQL identifier (a-z, 0-9, _)",
  },
  SCHEDULER_POSTGRES_TABLE_PREFIX: {
    kind: "text",
    pattern: /^(?:[a-z_][a-z0-9_]{0,39})?$/,
    expected: "a lowercase identifier start (a-z, 0-9, _)",
  },
  SCHEDULER_POSTGRES_AUTO_MIGRATE: { kind: "boolean" },
  SCHEDULER_POSTGRES_POOL_MODE: {
    kind: "text",
    pattern: /^(?:session|transaction)$/,
    expected: "session or transaction (PgBouncer's pool_mode of the server at SCHEDULER_POSTGRES_URL)",
  },
  SCHEDULER_POSTGRES_LISTEN_URL: { kind: "url", protocols: ["postgres:", "postgresql:"] },
} as const satisfies BackendVariables;
