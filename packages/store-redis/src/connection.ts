import { ConfigError, SchedulerError, StoreError, StoreTimeoutError } from "@sched/core/adapter";
import { Cluster, Redis } from "ioredis";
import { redact, sanitizedError } from "./redact.js";

/** Where the store connects, for messages: `host:port`, never credentials. */
export interface ConnectionTarget {
  /** `host:port` (several, comma-separated, for a Cluster). */
  readonly address: string;
  /** Strings that must never appear in a message (passwords, the URL). */
  readonly secrets: readonly string[];
}

/** The store's client, and whether the store owns it. */
export interface StoreConnection {
  readonly client: Redis | Cluster;
  readonly owned: boolean;
  readonly target: ConnectionTarget;
  /**
   * Why the owned client last failed to connect or lost its connection, e.g.
   * `connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]`; `undefined` once it is ready again, and
   * always for a client passed in (its `error` events are its owner's). Not yet redacted.
   */
  lastConnectionError(): string | undefined;
}

/** The connection options of `RedisStoreOptions`. */
export interface ConnectionOptions {
  url?: string | undefined;
  client?: Redis | Cluster | undefined;
  db?: number | undefined;
  /** ioredis's `commandTimeout` of a client made from `url`, in ms (0: none). */
  commandTimeoutMs: number;
}

/**
 * How long ioredis waits for the server to close a connection it ended before destroying the
 * socket (ioredis's `disconnectTimeout`, 2 s by default): a server that hangs never closes it, and
 * `close()` must not wait for that.
 */
export const DISCONNECT_TIMEOUT_MS = 500;

/** The URL used when neither `url` nor `client` is given. */
export const DEFAULT_URL = "redis://127.0.0.1:6379";

/**
 * Sets up the store's client: the one passed in (left open by `close()`), or one made from the
 * URL (closed by `close()`). Connects lazily, so a constructor never throws for the network.
 *
 * @throws ConfigError for both a client and a URL, a URL that does not parse, or a bad `db`.
 */
export function openConnection(options: ConnectionOptions): StoreConnection {
  if (options.client !== undefined) {
    if (options.url !== undefined) throw new ConfigError("client", "give either a client or a url, not both");
    if (options.db !== undefined) {
      throw new ConfigError(
        "db",
        "applies only to a client the store creates from url; select the db on your client",
      );
    }
    if (!(options.client instanceof Redis) && !(options.client instanceof Cluster)) {
      throw new ConfigError("client", "expected an ioredis Redis or Cluster instance");
    }
    return {
      client: options.client,
      owned: false,
      target: clientTarget(options.client),
      lastConnectionError: () => undefined,
    };
  }
  const url = options.url ?? DEFAULT_URL;
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
  if (options.db !== undefined && !(Number.isInteger(options.db) && options.db >= 0)) {
    throw new ConfigError("db", `expected an integer >= 0, got ${String(options.db)}`);
  }
  const client = new Redis(url, {
    lazyConnect: true,
    // Fail a command after two reconnection attempts instead of queueing it for ever: the
    // scheduler's loop backs off and retries, and callers get a clear error.
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    ...(options.commandTimeoutMs > 0 ? { commandTimeout: options.commandTimeoutMs } : {}),
    ...(options.db === undefined ? {} : { db: options.db }),
  });
  // Without a listener ioredis prints every failed reconnection attempt; the store's callers get
  // the failures instead, and the last socket error says why, since the error a command fails
  // with ("max retries per request", "Connection is closed") does not.
  let lastConnectionError: string | undefined;
  client.on("error", (err: unknown) => {
    lastConnectionError = reasonOf(err);
  });
  client.on("ready", () => {
    lastConnectionError = undefined;
  });
  const secrets = [url];
  if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
  return {
    client,
    owned: true,
    lastConnectionError: () => lastConnectionError,
    target: {
      address: `${parsed.hostname || "127.0.0.1"}:${parsed.port || 6379}`,
      secrets: [...new Set(secrets)].sort((a, b) => b.length - a.length),
    },
  };
}

function clientTarget(client: Redis | Cluster): ConnectionTarget {
  const secrets: string[] = [];
  if (client instanceof Cluster) {
    // The nodes the client knows now, or (before it connected) none: then name it a Cluster.
    const nodes = client
      .nodes("all")
      .map((node) => `${node.options.host ?? "127.0.0.1"}:${node.options.port ?? 6379}`);
    if (nodes.length === 0) nodes.push("Redis Cluster");
    const password = client.options.redisOptions?.password;
    if (password) secrets.push(password);
    return { address: nodes.join(","), secrets };
  }
  const { host, port, path, password } = client.options;
  if (password) secrets.push(password);
  return { address: path ? path : `${host ?? "127.0.0.1"}:${port ?? 6379}`, secrets };
}

/** The `commandTimeout` a client applies to each command (ms), or 0 for none. */
export function commandTimeoutOf(client: Redis | Cluster): number {
  const options = client instanceof Cluster ? client.options.redisOptions : client.options;
  return options?.commandTimeout ?? 0;
}

/** Error codes and messages meaning the server cannot be reached or dropped the connection. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
]);
const CONNECTION_MESSAGE =
  /max retries per request|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|ECONNREFUSED|LOADING|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes/i;

/** Whether `err` says the connection is unusable (as opposed to a command the server refused). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  return err instanceof Error && CONNECTION_MESSAGE.test(err.message);
}

/** The code of a Node.js or driver error (`ECONNREFUSED`, `ENOTFOUND`), when it has one. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** An error's message with its code in brackets: `connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]`. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  return code === undefined ? message : `${message} [${code}]`;
}

/**
 * Wraps a driver error as a {@link StoreError} whose message names the operation, the server's
 * `host:port` and why it failed, and whose `cause` is a sanitized copy of the driver's error
 * (`sanitizedError`): neither holds a password or the URL.
 * Errors that are already `SchedulerError`s pass through.
 *
 * @param err - what the driver threw.
 * @param operation - the store operation, e.g. `ping` or `claimDueJobs`.
 * @param target - the server's address and the secrets to keep out of the message.
 * @param lastConnectionError - the owned client's last socket error
 *   ({@link StoreConnection.lastConnectionError}), used as the reason of a connection failure
 *   when `err` carries no code of its own, as ioredis's "max retries per request" does not.
 * @param commandTimeoutMs - the store's `commandTimeout`: a command ioredis timed out is a
 *   `StoreTimeoutError` (`STORE_TIMEOUT`) naming it.
 * @returns a `StoreError` (code `STORE_ERROR`): `Redis at 127.0.0.1:6390 is unreachable (ping):
 *   connect ECONNREFUSED 127.0.0.1:6390 [ECONNREFUSED]` for a connection failure, otherwise
 *   `Redis <operation> failed at <host:port>: <reason>`.
 */
export function storeError(
  err: unknown,
  operation: string,
  target: ConnectionTarget,
  lastConnectionError?: string,
  commandTimeoutMs = 0,
): SchedulerError {
  if (err instanceof SchedulerError) return err;
  // ioredis's commandTimeout: the server did not answer one command of the call in time.
  if (err instanceof Error && err.message === "Command timed out") {
    return new StoreTimeoutError(operation, commandTimeoutMs);
  }
  const connectionFailure = isConnectionError(err);
  const reason =
    connectionFailure && codeOf(err) === undefined && lastConnectionError !== undefined
      ? lastConnectionError
      : reasonOf(err);
  const message = redact(reason, target.secrets);
  // The driver's error may carry the password (the arguments of the AUTH that failed): the cause
  // kept is a sanitized copy.
  const cause = sanitizedError(err, target.secrets);
  if (connectionFailure) {
    return new StoreError(`Redis at ${target.address} is unreachable (${operation}): ${message}`, { cause });
  }
  return new StoreError(`Redis ${operation} failed at ${target.address}: ${message}`, { cause });
}
