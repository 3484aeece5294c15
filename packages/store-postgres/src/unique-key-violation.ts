import { InvalidArgumentError, quoteText, StoreError } from "@sched/core/adapter";

/**
 * How PostgreSQL words a violation of the unique index on (queue, unique_key). A queue name holds
 * no comma or space, so the first ", " ends it; the key may contain anything, parentheses included.
 */
const DETAIL = /^Key \(queue, unique_key\)=\((.*?), (.*)\) already exists\.$/s;

/** What a violation of the unique-key index says about the key held. */
export interface UniqueKeyViolation {
  /** The queue and key, or `null` when the server withheld them (no SELECT privilege on the columns). */
  readonly held: { readonly queue: string; readonly key: string } | null;
}

/**
 * Whether `err` (a driver error, or a `StoreError` wrapping one) is a violation of the unique
 * index named `indexName`, and if so which queue and key it names; `null` for any other error.
 */
export function uniqueKeyViolation(err: unknown, indexName: string): UniqueKeyViolation | null {
  const violation = violationOf(err, indexName);
  if (violation === null) return null;
  const detail = DETAIL.exec(violation.detail);
  return { held: detail === null ? null : { queue: detail[1] as string, key: detail[2] as string } };
}

/** How PostgreSQL words a violation of the jobs table's primary key. */
const ID_DETAIL = /^Key \(id\)=\((.*)\) already exists\.$/s;

/**
 * The error a job whose id is already stored gets, as on every store: `InvalidArgumentError`
 * (`INVALID_ARGUMENT`) naming `id`, when `err` (a driver error, or a `StoreError` wrapping one)
 * is a violation of the primary key named `primaryKey`; `null` for any other error.
 */
export function duplicateIdError(err: unknown, primaryKey: string): InvalidArgumentError | null {
  const violation = violationOf(err, primaryKey);
  if (violation === null) return null;
  const id = ID_DETAIL.exec(violation.detail)?.[1];
  return new InvalidArgumentError(
    "id",
    id === undefined
      ? "a job with one of these ids already exists"
      : `a job with id ${quoteText(id, 200)} already exists`,
  );
}

/**
 * The server's detail of a unique violation (SQLSTATE 23505) of `constraint` that `err` (a driver
 * error, or a `StoreError` wrapping one) is; `null` for any other error.
 */
function violationOf(err: unknown, constraint: string): { detail: string } | null {
  const cause = (err instanceof StoreError ? err.cause : err) as {
    code?: unknown;
    constraint?: unknown;
    detail?: unknown;
  } | null;
  if (cause?.code !== "23505" || cause.constraint !== constraint) return null;
  return { detail: String(cause.detail ?? "") };
}
