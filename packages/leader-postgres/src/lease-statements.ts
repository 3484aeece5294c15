import { createHash } from "node:crypto";
import { ConfigError } from "@sched/core/adapter";
import acquireLease from "./sql/acquire-lease.sql";
import createLockTable from "./sql/create-lock-table.sql";
import createSchema from "./sql/create-schema.sql";
import findLockTable from "./sql/find-lock-table.sql";
import releaseLease from "./sql/release-lease.sql";

/**
 * A schema name: a plain lowercase identifier, the rule of `@sched/store-postgres`, so that one
 * configuration fits both packages and the quoted name we use is the one unquoted SQL refers to.
 */
const SCHEMA = /^[a-z_][a-z0-9_]{0,40}$/;
/** A table prefix: empty, or the start of a plain lowercase identifier (as in `@sched/store-postgres`). */
const TABLE_PREFIX = /^(?:[a-z_][a-z0-9_]{0,39})?$/;

/** The SQL of the leader, with the schema and table names filled in once. */
export interface LeaseStatements {
  /** The schema name, unquoted (a bound parameter of `findLockTable`). */
  readonly schema: string;
  /** The quoted, schema-qualified name of the lock table, e.g. `"public"."scheduler_locks"`. */
  readonly locksTable: string;
  /**
   * The advisory-lock key (a signed 64-bit integer as a decimal string) that serialises migrations
   * of this schema and prefix: the key `@sched/store-postgres` takes, so the two never race.
   */
  readonly migrationLockKey: string;
  readonly acquireLease: string;
  readonly releaseLease: string;
  readonly findLockTable: string;
  readonly createSchema: string;
  readonly createLockTable: string;
}

/** Quotes an identifier that {@link leaseStatements} has validated (so it holds no `"`). */
function quote(identifier: string): string {
  return `"${identifier}"`;
}

/**
 * Validates `schema` and `tablePrefix` and fills them into the SQL files. Identifiers cannot be
 * bound parameters, so they are checked against a strict pattern and quoted; values never are
 * pasted into SQL.
 *
 * @throws ConfigError naming `schema` or `tablePrefix` and the rule it breaks.
 */
export function leaseStatements(schema: string, tablePrefix: string): LeaseStatements {
  if (typeof schema !== "string" || !SCHEMA.test(schema) || schema.startsWith("pg_")) {
    throw new ConfigError(
      "schema",
      `${JSON.stringify(schema)} is not a valid schema name; use 1-41 characters from a-z, 0-9 and _, starting with a letter or _ (and not pg_)`,
    );
  }
  if (typeof tablePrefix !== "string" || !TABLE_PREFIX.test(tablePrefix)) {
    throw new ConfigError(
      "tablePrefix",
      `${JSON.stringify(tablePrefix)} is not a valid table prefix; use 0-40 characters from a-z, 0-9 and _, starting with a letter or _`,
    );
  }
  const locksTable = `${quote(schema)}.${quote(`${tablePrefix}locks`)}`;
  const fill = (sql: string): string =>
    sql.replaceAll("{{schema}}", quote(schema)).replaceAll("{{locks_table}}", locksTable);
  return {
    schema,
    locksTable,
    migrationLockKey: createHash("sha256")
      .update(`sched.migrate.${schema}.${tablePrefix}`)
      .digest()
      .readBigInt64BE(0)
      .toString(),
    acquireLease: fill(acquireLease),
    releaseLease: fill(releaseLease),
    findLockTable: fill(findLockTable),
    createSchema: fill(createSchema),
    createLockTable: fill(createLockTable),
  };
}
