import { ConfigError, describeValue } from "@sched/core/adapter";

/** The characters a collection prefix may hold: letters, digits, `_`, `.` and `-`. */
const PREFIX_PATTERN = /^[A-Za-z0-9_.-]{1,60}$/;
/** Characters MongoDB refuses in a database name (on any platform), and the empty name. */
const BAD_DATABASE_CHARACTERS = /[/\\. "$*<>:|?\0]/;

/** The default prefix of every collection name. */
export const DEFAULT_COLLECTION_PREFIX = "scheduler_";

/**
 * Checks a collection prefix: 1-60 characters of `A-Z a-z 0-9 _ . -`, not starting with `system.`
 * (MongoDB reserves it) nor with `.`. Returns it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `field` (default `collectionPrefix`).
 */
export function assertCollectionPrefix(prefix: unknown, field = "collectionPrefix"): string {
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      field,
      `expected 1-60 characters of A-Z a-z 0-9 _ . -, got ${describeValue(prefix)}`,
    );
  }
  if (prefix.startsWith("system.") || prefix.startsWith(".")) {
    throw new ConfigError(field, `must not start with "system." or ".", got ${describeValue(prefix)}`);
  }
  return prefix;
}

/**
 * Checks a database name as MongoDB does: 1-63 bytes, none of `/ \ . " $ * < > : | ?`, a space or
 * NUL. Returns it.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `field` (default `dbName`).
 */
export function assertDatabaseName(name: unknown, field = "dbName"): string {
  if (
    typeof name !== "string" ||
    name === "" ||
    Buffer.byteLength(name) > 63 ||
    BAD_DATABASE_CHARACTERS.test(name)
  ) {
    throw new ConfigError(
      field,
      `expected a database name of 1-63 bytes without / \\ . " $ * < > : | ? or spaces, got ${describeValue(name)}`,
    );
  }
  return name;
}
