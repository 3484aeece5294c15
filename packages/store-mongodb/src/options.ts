import {
  assertKnownOptions,
  assertLogger,
  ConfigError,
  type Duration,
  type Logger,
  parseDuration,
} from "@sched/core/adapter";
import type { MongoClient } from "mongodb";
import {
  assertCollectionPrefix,
  type ConnectionOptions,
  checkConnectionOptions,
  DEFAULT_COLLECTION_PREFIX,
} from "./connection/index.js";

/** Options of {@link MongoStore}. Give `url`, or `client` and `dbName`. */
export interface MongoStoreOptions {
  /**
   * A `mongodb://` or `mongodb+srv://` URL; the store creates its client and closes it in
   * `close()`. The database is `dbName`, else the URL's path.
   */
  url?: string;
  /** A `MongoClient` you own: the store uses it and leaves it open in `close()`. Needs `dbName`. */
  client?: MongoClient;
  /** The database of the store's collections: required with `client`, else the URL's path. */
  dbName?: string;
  /** Prefix of the collection names (`<prefix>jobs`, `<prefix>schedules`, `<prefix>meta`); default `"scheduler_"`. */
  collectionPrefix?: string;
  /**
   * Create the indexes ({@link MongoStore.migrate}) on first use; default `true`. The unique keys
   * of jobs rest on one of them: with `false`, run `migrate()` yourself before enqueueing.
   */
  autoMigrate?: boolean;
  /**
   * Push events with change streams when the deployment has them (a replica set or a sharded
   * cluster); default `true`. With `false`, or on a standalone server, other instances find jobs
   * by polling, and a job cancelled elsewhere is aborted at its next lease renewal.
   */
  changeStreams?: boolean;
  /**
   * The longest one call of the store may take: past it, it rejects with `StoreTimeoutError`
   * (`STORE_TIMEOUT`), and each operation is sent with it as `maxTimeMS` so the server gives up
   * too. Default `"10s"`; `0` waits for ever.
   */
  operationTimeout?: Duration;
  /**
   * How long an operation waits for a usable server (the driver's `serverSelectionTimeoutMS`, for
   * the client the store creates); default `"5s"`, at most 2,147,483,647 ms (the driver waits with
   * one Node.js timer, which fires a longer wait at once).
   */
  serverSelectionTimeout?: Duration;
  /** Where the store says, once, whether it wakes up by change streams or by polling; default none. */
  logger?: Logger;
}

/** Every option of {@link MongoStoreOptions}, for the check of unknown names. */
const OPTION_NAMES = [
  "url",
  "client",
  "dbName",
  "collectionPrefix",
  "autoMigrate",
  "changeStreams",
  "operationTimeout",
  "serverSelectionTimeout",
  "logger",
] as const satisfies ReadonlyArray<keyof MongoStoreOptions>;

/** The options of a store, checked, with their defaults. */
export interface ResolvedStoreOptions {
  readonly connection: ConnectionOptions;
  readonly collectionPrefix: string;
  readonly autoMigrate: boolean;
  readonly changeStreams: boolean;
  /** ms; 0: no bound. */
  readonly operationTimeoutMs: number;
  /** ms. */
  readonly serverSelectionTimeoutMs: number;
  readonly logger: Logger | undefined;
}

/**
 * Checks the options of a store: no unknown name, each known one of its type.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming the option: an unknown one, or `url`, `client`,
 *   `dbName` (see `checkConnectionOptions`), `collectionPrefix`, `autoMigrate`, `changeStreams`,
 *   `operationTimeout`, `serverSelectionTimeout` or `logger` of the wrong type or value. The URL is
 *   never quoted.
 */
export function resolveStoreOptions(options: MongoStoreOptions): ResolvedStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new ConfigError("options", "expected an object such as { url } or { client, dbName }");
  }
  assertKnownOptions(options, OPTION_NAMES);
  const connection = { url: options.url, client: options.client, dbName: options.dbName };
  checkConnectionOptions(connection);
  return {
    connection,
    collectionPrefix: assertCollectionPrefix(options.collectionPrefix ?? DEFAULT_COLLECTION_PREFIX),
    autoMigrate: booleanOption(options.autoMigrate, true, "autoMigrate"),
    changeStreams: booleanOption(options.changeStreams, true, "changeStreams"),
    operationTimeoutMs: durationOption(options.operationTimeout, "10s", "operationTimeout"),
    serverSelectionTimeoutMs: timerOption(options.serverSelectionTimeout, "5s", "serverSelectionTimeout"),
    logger: loggerOption(options.logger),
  };
}

function loggerOption(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  assertLogger(logger, "logger");
  return logger;
}

function booleanOption(value: unknown, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ConfigError(field, `expected true or false, got ${typeof value}`);
  return value;
}

/** A duration one Node.js timer can wait: at most 2^31 - 1 ms. @throws ConfigError naming `field`. */
function timerOption(value: Duration | undefined, fallback: Duration, field: string): number {
  const ms = durationOption(value, fallback, field);
  if (ms > 2_147_483_647) throw new ConfigError(field, `expected at most 2147483647ms, got ${ms}ms`);
  return ms;
}

function durationOption(value: Duration | undefined, fallback: Duration, field: string): number {
  try {
    return parseDuration(value ?? fallback, field);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(
      field,
      message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message,
    );
  }
}
