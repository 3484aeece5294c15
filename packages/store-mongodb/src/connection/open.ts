import { ConfigError } from "@sched/core/adapter";
import { type Db, type DbOptions, MongoClient } from "mongodb";
import { assertDatabaseName } from "./names.js";
import { redact } from "./redact.js";
import { describeServer, type ServerDescription } from "./server.js";

/** The connection options a store or a leader takes from its user. */
export interface ConnectionOptions {
  /**
   * A `mongodb://` or `mongodb+srv://` URL to make a client from; the database is `dbName`, or else
   * the URL's path (one of them is required).
   */
  url?: string | undefined;
  /** A `MongoClient` the application owns (it stays open after `close()`); needs `dbName`. */
  client?: MongoClient | undefined;
  /** The database to use: required with `client`; with `url`, it wins over the URL's path. */
  dbName?: string | undefined;
}

/** How a client made from a URL behaves: what may differ between the store and the leader. */
export interface OwnedClientSettings {
  /** The driver's `serverSelectionTimeoutMS`: how long an operation waits for a usable server (ms). */
  readonly serverSelectionTimeoutMs: number;
  /** The driver's `connectTimeoutMS` (ms). */
  readonly connectTimeoutMs: number;
  /** The `appName` the server logs and shows in `currentOp`; none when absent. */
  readonly appName?: string;
}

/** A client, its database, whether its user owns it, and what to say about its server in messages. */
export interface MongoConnection {
  /** The client to run operations on. */
  readonly client: MongoClient;
  /** The database the collections live in. */
  readonly db: Db;
  /** Whether the client was made here from a URL: then its user closes it (see `closeConnection`). */
  readonly owned: boolean;
  /** The deployment's hosts and the secrets messages must not contain. */
  server(): ServerDescription;
}

/**
 * Whether `value` looks like a `MongoClient`. Checked by its methods rather than by `instanceof`,
 * so a client of another copy of the driver (v6 or v7) passes too.
 */
export function isMongoClient(value: unknown): value is MongoClient {
  const candidate = value as Partial<MongoClient> | null | undefined;
  return typeof candidate?.db === "function" && typeof candidate.startSession === "function";
}

/**
 * Checks the connection options without opening anything: either a client or a URL; a client that
 * is a `MongoClient`, given with a `dbName`; a URL that is a string starting with `mongodb://` or
 * `mongodb+srv://`; a database name (from `dbName`, or the URL's path) that MongoDB accepts.
 *
 * @returns the database name.
 * @throws ConfigError (`CONFIG_INVALID`) with field `client` (both a client and a URL, or not a
 *   `MongoClient`), `url` (missing, not a string, another scheme) or `dbName` (missing, or a name
 *   MongoDB refuses). The URL itself is never quoted.
 */
export function checkConnectionOptions(options: ConnectionOptions): string {
  if (options.client !== undefined) {
    if (options.url !== undefined) throw new ConfigError("client", "give either a client or a url, not both");
    if (!isMongoClient(options.client))
      throw new ConfigError("client", "expected a MongoClient of the mongodb driver");
    if (options.dbName === undefined) {
      throw new ConfigError("dbName", "required with a client: the database the collections live in");
    }
    return assertDatabaseName(options.dbName);
  }
  if (options.url === undefined) {
    throw new ConfigError("url", "required: a mongodb:// or mongodb+srv:// URL (or give client and dbName)");
  }
  if (typeof options.url !== "string") {
    throw new ConfigError(
      "url",
      `expected a string such as mongodb://host:27017/app, got ${typeof options.url}`,
    );
  }
  const match = /^(mongodb|mongodb\+srv):\/\/[^/?]*(?:\/([^?]*))?/i.exec(options.url);
  if (match === null) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(options.url)?.[1];
    throw new ConfigError(
      "url",
      scheme === undefined
        ? "expected a URL such as mongodb://host:27017/app, and the given value has no scheme"
        : `expected a URL starting with mongodb: or mongodb+srv:, got one starting with ${scheme}:`,
    );
  }
  if (options.dbName !== undefined) return assertDatabaseName(options.dbName);
  const path = match[2] ?? "";
  if (path === "") {
    throw new ConfigError("dbName", "the URL names no database (mongodb://host/<database>): give dbName");
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new ConfigError("url", "the database in the URL's path is not valid percent-encoding");
  }
  return assertDatabaseName(decoded, "url");
}

/**
 * How the store's database reads and writes BSON, whatever the client (an application's, or the
 * URL's options) is set to: numbers as JavaScript numbers (not `Int32`/`Double`/`Long` objects or
 * bigints), binary data as `Binary`, regular expressions as `RegExp`, documents parsed. A database
 * handle's options override the client's for every collection the store opens on it.
 */
const STORE_BSON_OPTIONS: DbOptions = {
  promoteValues: true,
  promoteLongs: true,
  promoteBuffers: false,
  useBigInt64: false,
  bsonRegExp: false,
  raw: false,
};

/**
 * The options of the store's database handle on `client`: its BSON options (above), reads from the
 * primary (a claim, a lease or a job just written must be read back as written; a client reading
 * from secondaries would see them late), and acknowledged writes when the client's are not
 * (`w: 0` would let an insert, a completion or a lease be lost without an error): MongoDB's own
 * default, `majority`. A client's acknowledged write concern (`w: 1`, `majority`, a tag) is kept.
 */
function storeDbOptions(client: MongoClient): DbOptions {
  const unacknowledged = client.writeConcern?.w === 0;
  return {
    ...STORE_BSON_OPTIONS,
    readPreference: "primary",
    ...(unacknowledged ? { writeConcern: { ...client.writeConcern, w: "majority" } } : {}),
  };
}

/**
 * Sets up a client: the one passed in (its owner closes it), or one made from the URL with
 * `settings`, owned by the caller. The driver connects on the first operation, so this never
 * fails for the network.
 *
 * @throws ConfigError as {@link checkConnectionOptions}, and with field `url` when the driver
 *   refuses the URL's options (the driver's reason, with the URL's credentials redacted).
 */
export function openConnection(options: ConnectionOptions, settings: OwnedClientSettings): MongoConnection {
  const dbName = checkConnectionOptions(options);
  if (options.client !== undefined) {
    const client = options.client;
    return {
      client,
      db: client.db(dbName, storeDbOptions(client)),
      owned: false,
      server: () => describeServer(client, undefined),
    };
  }
  const url = options.url as string;
  let client: MongoClient;
  try {
    client = new MongoClient(url, {
      serverSelectionTimeoutMS: settings.serverSelectionTimeoutMs,
      connectTimeoutMS: settings.connectTimeoutMs,
      ...(settings.appName === undefined ? {} : { appName: settings.appName }),
    });
  } catch (err) {
    // The driver parses the URL here: a bad option is the user's to fix, named without the URL.
    const secrets = describeServer({} as MongoClient, url).secrets;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError("url", `the driver refused the URL: ${redact(reason, secrets)}`);
  }
  return {
    client,
    db: client.db(dbName, storeDbOptions(client)),
    owned: true,
    server: () => describeServer(client, url),
  };
}
