import { ConfigError, SchedulerError, StoreError } from "@sched/core";
import { Cluster, Redis } from "ioredis";

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
}

/** The connection options of `RedisStoreOptions`. */
export interface ConnectionOptions {
  url?: string | undefined;
  client?: Redis | Cluster | undefined;
  db?: number | undefined;
}

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
    return { client: options.client, owned: false, target: clientTarget(options.client) };
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
    ...(options.db === undefined ? {} : { db: options.db }),
  });
  const secrets = [url];
  if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
  return {
    client,
    owned: true,
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

/**
 * Wraps a driver error as a {@link StoreError} (the original as `cause`) whose message names the
 * operation and, for connection failures, the server's `host:port`, but never a password or the
 * URL. Errors that are already `SchedulerError`s pass through.
 */
export function storeError(err: unknown, operation: string, target: ConnectionTarget): SchedulerError {
  if (err instanceof SchedulerError) return err;
  let message = err instanceof Error ? err.message : String(err);
  for (const secret of target.secrets) message = message.split(secret).join("***");
  if (isConnectionError(err)) {
    return new StoreError(`Redis at ${target.address} is unreachable (${operation}): ${message}`, {
      cause: err,
    });
  }
  return new StoreError(`Redis ${operation} failed at ${target.address}: ${message}`, { cause: err });
}
