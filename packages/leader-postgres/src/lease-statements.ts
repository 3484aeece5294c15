import { fillNames, type TableNames, tableNames } from "@sched/store-postgres/connection";
import acquireLease from "../sql/acquire-lease.sql";
import releaseLease from "../sql/release-lease.sql";

/** The SQL of the leader, with the schema and table prefix filled in once. */
export interface LeaseStatements {
  /** The validated names; the lease table is `names.locks`. */
  readonly names: TableNames;
  /** The quoted, schema-qualified name of the lease table, e.g. `"public"."scheduler_locks"`. */
  readonly locksTable: string;
  /** $1 name, $2 instance id, $3 TTL in ms, $4 last granted term or null, $5 whether it leads. */
  readonly acquireLease: string;
  /** $1 name, $2 instance id. */
  readonly releaseLease: string;
}

/**
 * Validates `schema` and `tablePrefix` (the rules of `@sched/store-postgres`, which owns the
 * lease table) and fills them into the leader's SQL files.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `schema` or `tablePrefix` and the rule it breaks.
 */
export function leaseStatements(schema: string, tablePrefix: string): LeaseStatements {
  const names = tableNames(schema, tablePrefix);
  return {
    names,
    locksTable: names.locks,
    acquireLease: fillNames(acquireLease, names),
    releaseLease: fillNames(releaseLease, names),
  };
}
