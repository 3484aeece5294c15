import { ConfigError, describeValue } from "@sched/core/adapter";
import { type Cluster, Redis } from "ioredis";
import { isCluster, isRedisClient } from "./client-kind.js";
import { checkPassword, checkPrimaryName, checkSentinels, type SentinelAddress } from "./sentinel.js";
import { describeServer, type ServerDescription } from "./server.js";

/** The URL a connection is made from when neither `url` nor `client` is given. */
export const DEFAULT_URL = "redis://127.0.0.1:6379";

/** The answer of a server to `SELECT` of a database it does not have. */
const REFUSED_DB = /DB index is out of range|invalid DB index/i;

/**
 * How long ioredis waits for the server to close a connection it ended before destroying the
 * socket (ioredis's `disconnectTimeout`, 2 s by default): a server that hangs never closes it, and
 * `close()` must not wait for that (ms).
 */
export const DISCONNECT_TIMEOUT_MS = 500;

/** The connection options a store or a leader takes from its user. */
export interface ConnectionOptions {
  /** A `redis://` or `rediss://` URL to make a client from; default {@link DEFAULT_URL}. Not with `sentinels`. */
  url?: string | undefined;
  /** An ioredis `Redis` or `Cluster` client the application owns; not with `url`, `db`, `sentinels` or a password. */
  client?: Redis | Cluster | undefined;
  /** The database of a client made from `url` or through `sentinels` (it wins over the URL's path); not with `client`. */
  db?: number | undefined;
  /**
   * The Sentinels to ask for the current primary (a client is made through them, and finds the
   * new primary after a failover); not with `url` or `client`. Needs `sentinelName`.
   */
  sentinels?: readonly SentinelAddress[] | undefined;
  /** The name the Sentinels monitor the primary under (`mymaster`); only with `sentinels`. */
  sentinelName?: string | undefined;
  /** The password of the data nodes (primary and replicas); with `sentinels`, or with a `url` that has none. */
  password?: string | undefined;
  /** The password of the Sentinels themselves; only with `sentinels`. */
  sentinelPassword?: string | undefined;
}

/**
 * The option names a user gives, for messages, where they differ from {@link ConnectionOptions}'s:
 * the store takes the primary's name as `name` (ioredis's term), the leader as `sentinelName`
 * (its `name` is the leadership's).
 */
export interface ConnectionOptionNames {
  /** The user's name of {@link ConnectionOptions.sentinelName}; default `sentinelName`. */
  readonly sentinelName?: string;
}

/** How a client made from a URL behaves: what differs between the store and the leader. */
export interface OwnedClientSettings {
  /** ioredis's `commandTimeout`, in ms (0: none). */
  readonly commandTimeoutMs: number;
  /** ioredis's `connectTimeout`, in ms. */
  readonly connectTimeoutMs: number;
  /**
   * ioredis's `maxRetriesPerRequest`: how many reconnection attempts a command waits through
   * before it fails (0: it fails at the first failed attempt).
   */
  readonly maxRetriesPerRequest: number;
  /** The name the connection shows in `CLIENT LIST`; none when absent. */
  readonly connectionName?: string;
}

/** A client, whether its user owns it, and what to say about its server in messages. */
export interface RedisConnection {
  /** The client to send commands on. */
  readonly client: Redis | Cluster;
  /** Whether the client was made here from a URL: then its user closes it (see `closeClient`). */
  readonly owned: boolean;
  /** The server's address and the secrets messages must not contain, read now (a Cluster's current nodes). */
  server(): ServerDescription;
  /**
   * Why the owned client last failed to connect or lost its connection, e.g.
   * `connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]`; `undefined` once it is ready again, and
   * always for a client passed in (its `error` events are its owner's). Not yet redacted.
   */
  lastConnectionError(): string | undefined;
}

/**
 * Checks the connection options without opening anything: a client, a URL or Sentinels (one of
 * them); a client that is an ioredis client, with no `db` or password (select and authenticate on
 * your client); a URL that parses with the `redis:` or `rediss:` protocol; Sentinels as
 * non-empty `{ host, port }` entries, with the primary's name; a `db` that is an integer >= 0;
 * passwords that are non-empty strings, the Sentinels' only with Sentinels.
 *
 * @param names - the user's names of options named otherwise here (see {@link ConnectionOptionNames}).
 * @throws ConfigError (`CONFIG_INVALID`) with field `client` (with a URL or Sentinels, not an
 *   ioredis client, or one with `stringNumbers`), `db` (with a client, or not an integer >= 0), `url` (not a string, does not
 *   parse, another protocol, or with Sentinels), `sentinels` (or `sentinels[i].host`/`.port`),
 *   the primary's name (missing with Sentinels, given without them, or not a name), `password`
 *   (with a client, or not a non-empty string) or `sentinelPassword` (without Sentinels, or not a
 *   non-empty string). The URL and the passwords are never quoted.
 */
export function checkConnectionOptions(options: ConnectionOptions, names: ConnectionOptionNames = {}): void {
  const nameField = names.sentinelName ?? "sentinelName";
  if (options.client !== undefined) {
    if (options.url !== undefined) throw new ConfigError("client", "give either a client or a url, not both");
    if (options.sentinels !== undefined) {
      throw new ConfigError("client", "give either a client or sentinels, not both");
    }
    if (!isRedisClient(options.client)) {
      throw new ConfigError("client", "expected an ioredis Redis or Cluster client");
    }
    const clientOptions = isCluster(options.client)
      ? options.client.options?.redisOptions
      : options.client.options;
    if (clientOptions?.stringNumbers) {
      throw new ConfigError(
        "client",
        "has stringNumbers set, which turns Redis's integer replies into strings the store and leader read as numbers; pass a client without it (or a url)",
      );
    }
    if (options.db !== undefined) {
      throw new ConfigError(
        "db",
        "applies only to a client the store or leader makes; select the db on your client",
      );
    }
    if (options.password !== undefined) {
      throw new ConfigError(
        "password",
        "applies only to a client the store or leader makes; set it on your client",
      );
    }
  } else if (options.sentinels !== undefined) {
    if (options.url !== undefined) {
      throw new ConfigError(
        "url",
        "give either a url or sentinels, not both (the Sentinels name the primary)",
      );
    }
    checkSentinels(options.sentinels, "sentinels");
    if (options.sentinelName === undefined) {
      throw new ConfigError(
        nameField,
        "is required with sentinels: the name the Sentinels monitor the primary under",
      );
    }
    checkPrimaryName(options.sentinelName, nameField);
  } else if (options.url !== undefined) {
    parseRedisUrl(options.url);
  }
  if (options.sentinels === undefined) {
    if (options.sentinelName !== undefined) throw new ConfigError(nameField, "applies only with sentinels");
    if (options.sentinelPassword !== undefined) {
      throw new ConfigError("sentinelPassword", "applies only with sentinels");
    }
  }
  if (options.password !== undefined) checkPassword(options.password, "password");
  if (options.sentinelPassword !== undefined) checkPassword(options.sentinelPassword, "sentinelPassword");
  if (
    options.db !== undefined &&
    !(Number.isInteger(options.db) && options.db >= 0 && options.db <= 2 ** 31 - 1)
  ) {
    throw new ConfigError(
      "db",
      `expected an integer from 0 to ${2 ** 31 - 1}, got ${describeValue(options.db)}`,
    );
  }
}

/**
 * Sets up a client: the one passed in (its owner closes it), or one made with `settings` and
 * owned by the caller: through the Sentinels when `sentinels` are given, otherwise from the URL
 * (default {@link DEFAULT_URL}). Connects lazily, so it never fails for the network. An owned
 * client's socket errors are kept for messages ({@link RedisConnection.lastConnectionError})
 * instead of being printed by ioredis.
 *
 * A client made through Sentinels asks them for the primary at each (re)connection, so after a
 * failover it reconnects to the promoted replica by itself; it checks the server's role, and a
 * reply `READONLY` (its server was demoted without closing the connection) makes it reconnect,
 * the command failing. While no Sentinel answers it keeps asking (backoff up to 1 s), and
 * commands wait for at most their `commandTimeout`.
 *
 * @throws ConfigError as {@link checkConnectionOptions}.
 */
export function openConnection(
  options: ConnectionOptions,
  settings: OwnedClientSettings,
  names: ConnectionOptionNames = {},
): RedisConnection {
  checkConnectionOptions(options, names);
  if (options.client !== undefined) {
    const client = options.client;
    return {
      client,
      owned: false,
      server: () => describeServer(client, undefined),
      lastConnectionError: () => undefined,
    };
  }
  const common = {
    lazyConnect: true,
    maxRetriesPerRequest: settings.maxRetriesPerRequest,
    connectTimeout: settings.connectTimeoutMs,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    ...(settings.connectionName === undefined ? {} : { connectionName: settings.connectionName }),
    ...(settings.commandTimeoutMs > 0 ? { commandTimeout: settings.commandTimeoutMs } : {}),
  };
  const url = options.sentinels === undefined ? (options.url ?? DEFAULT_URL) : undefined;
  const client =
    url === undefined
      ? new Redis({
          ...common,
          sentinels: (options.sentinels ?? []).map(({ host, port }) => ({ host, port })),
          name: options.sentinelName as string,
          role: "master",
          ...(options.sentinelPassword === undefined ? {} : { sentinelPassword: options.sentinelPassword }),
          // A Sentinel that does not answer is skipped after this long, as a server would be.
          sentinelCommandTimeout: settings.connectTimeoutMs,
          // Reconnect to the new primary as soon as the Sentinels announce it (+switch-master). A
          // failover by hand, or one whose old primary is still up, leaves the old primary
          // taking writes until the Sentinels make it a replica seconds later, which drops them:
          // without this, the client kept writing there (457 of 707 writes acknowledged after
          // the switch were lost in a test).
          failoverDetector: true,
          // A primary demoted to a replica (it was cut off while the others failed over) refuses
          // writes with READONLY without closing the connection: reconnect, asking the Sentinels again.
          reconnectOnError: (err: Error) => (/^READONLY\b/.test(err.message) ? 1 : false),
        })
      : new Redis(url, common);
  // The URL's path fills `db` when parsed; the option wins. Not connected yet, so it applies.
  if (options.db !== undefined) client.options.db = options.db;
  if (options.password !== undefined) client.options.password = options.password;
  // Integer replies as numbers: a URL's query (?stringNumbers=true) wins over a constructor option,
  // so it is set here, before the first connection reads it (see checkConnectionOptions).
  client.options.stringNumbers = false;
  // Without a listener ioredis prints every failed reconnection attempt; callers get the failures
  // instead, and the last socket error says why, since the error a command fails with ("max
  // retries per request", "Connection is closed") does not.
  let lastConnectionError: string | undefined;
  let refusedDb = false;
  client.on("error", (err: unknown) => {
    lastConnectionError = reasonOf(err);
    if (REFUSED_DB.test(lastConnectionError)) {
      // ioredis goes on in database 0 when SELECT fails: stop before any command runs there. The
      // client stays closed; every call fails, naming the reason.
      lastConnectionError = `Redis refused database ${client.options.db} (${lastConnectionError}); check the db option or the URL's path`;
      refusedDb = true;
      client.disconnect();
    }
  });
  client.on("ready", () => {
    if (!refusedDb) lastConnectionError = undefined;
  });
  return {
    client,
    owned: true,
    server: () => describeServer(client, url),
    lastConnectionError: () => lastConnectionError,
  };
}

/** The `commandTimeout` a client applies to each command (ms), or 0 for none. */
export function commandTimeoutOf(client: Redis | Cluster): number {
  const options = isCluster(client) ? client.options.redisOptions : client.options;
  return options?.commandTimeout ?? 0;
}

/** The code of a Node.js or driver error (`ECONNREFUSED`, `ENOTFOUND`), when it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** An error's message with its code in brackets: `connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]`. */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  return code === undefined ? message : `${message} [${code}]`;
}

function parseRedisUrl(url: unknown): URL {
  if (typeof url !== "string") {
    throw new ConfigError("url", `expected a string such as redis://host:6379, got ${describeValue(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(
      "url",
      "expected a URL such as redis://host:6379, and the given value does not parse",
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new ConfigError(
      "url",
      `expected a URL starting with redis: or rediss:, got one starting with ${parsed.protocol}`,
    );
  }
  return parsed;
}
