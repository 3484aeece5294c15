import { createHash } from "node:crypto";
import { ConfigError, describeValue } from "@sched/core/adapter";

/**
 * A schema name: a plain lowercase SQL identifier. Lowercase only, so the quoted name we create is
 * the same one an unquoted name in the user's own SQL refers to.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,40}$/;
/** A table prefix: empty, or a plain lowercase identifier start of at most 40 characters. */
const TABLE_PREFIX = /^(?:[a-z_][a-z0-9_]{0,39})?$/;
/** PostgreSQL truncates identifiers (and refuses NOTIFY channels) longer than this. */
const MAX_IDENTIFIER_BYTES = 63;

/** The validated names of everything the store creates, each already double-quoted. */
export interface TableNames {
  /** The schema, unquoted (validated). */
  readonly schema: string;
  /** The table prefix, unquoted (validated). */
  readonly prefix: string;
  /** `"schema"."<prefix>jobs"` */
  readonly jobs: string;
  /** `"schema"."<prefix>schedules"` */
  readonly schedules: string;
  /** `"schema"."<prefix>locks"` */
  readonly locks: string;
  /** `"schema"."<prefix>migrations"` */
  readonly migrations: string;
  /** `"schema"."<prefix>meta"`, named values about the data (its epoch). */
  readonly meta: string;
  /** `"schema"."<prefix>claim_jobs"`, the claim function. */
  readonly claimJobs: string;
  /** `"schema"."<prefix>next_due_at"`, the function behind `nextDueAt`. */
  readonly nextDueAt: string;
  /** `"schema"."<prefix>waiting_job_names"`, the function behind `waitingJobNames`. */
  readonly waitingJobNames: string;
  /** The name of the unique index on `(queue, unique_key)` (unquoted), to recognise its violations. */
  readonly uniqueKeyIndex: string;
  /** The name of the jobs table's primary key (unquoted), to recognise a duplicate id. */
  readonly jobsPrimaryKey: string;
  /** The LISTEN/NOTIFY channel of this schema and prefix (unquoted, at most 63 bytes). */
  readonly channel: string;
}

/**
 * Validates `schema` and `prefix` and derives every quoted name from them. Nothing else ever
 * reaches SQL text: values are always bound parameters.
 *
 * @throws ConfigError naming `schema` or `tablePrefix` and the rule it breaks.
 */
export function tableNames(schema: string, prefix: string): TableNames {
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema) || schema.startsWith("pg_")) {
    throw new ConfigError(
      "schema",
      `expected 1-41 characters from a-z, 0-9 and _, starting with a letter or _ (and not pg_), got ${describeValue(schema)}`,
    );
  }
  if (typeof prefix !== "string" || !TABLE_PREFIX.test(prefix)) {
    throw new ConfigError(
      "tablePrefix",
      `expected 0-40 characters from a-z, 0-9 and _, starting with a letter or _, got ${describeValue(prefix)}`,
    );
  }
  const table = (name: string) => `"${schema}"."${prefix}${name}"`;
  return {
    schema,
    prefix,
    jobs: table("jobs"),
    schedules: table("schedules"),
    locks: table("locks"),
    migrations: table("migrations"),
    meta: table("meta"),
    claimJobs: table("claim_jobs"),
    nextDueAt: table("next_due_at"),
    waitingJobNames: table("waiting_job_names"),
    uniqueKeyIndex: `${prefix}jobs_unique_key`,
    jobsPrimaryKey: `${prefix}jobs_pkey`,
    channel: channelName(schema, prefix),
  };
}

/**
 * The notification channel: readable when it fits in an identifier, else a digest of the same
 * text (two stores share a channel exactly when they share schema and prefix).
 */
function channelName(schema: string, prefix: string): string {
  const readable = `sched.${schema}.${prefix}jobs`;
  if (readable.length <= MAX_IDENTIFIER_BYTES) return readable;
  return `sched.${createHash("sha256").update(readable).digest("hex").slice(0, 40)}`;
}

/**
 * A signed 64-bit advisory-lock key (as a decimal string) for migrating the tables of this schema
 * and prefix, so that concurrent migrations (the store's, and the lock table's of
 * `@sched/leader-postgres`) run one after the other.
 */
export function migrationLockKey(names: TableNames): string {
  const digest = createHash("sha256").update(`sched.migrate.${names.schema}.${names.prefix}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Fills the validated schema and prefix of `names` into SQL text: `{{schema}}` and `{{prefix}}`,
 * which the package's SQL files (statements and migrations) always write inside double quotes,
 * as in `"{{schema}}"."{{prefix}}jobs"`.
 */
export function fillNames(sql: string, names: Pick<TableNames, "schema" | "prefix">): string {
  return sql.replaceAll("{{schema}}", names.schema).replaceAll("{{prefix}}", names.prefix);
}
