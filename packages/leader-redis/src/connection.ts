import { StoreError } from "@sched/core/adapter";
import { type Cluster, Redis } from "ioredis";
import { redact, sanitizedError } from "./redact.js";

/** Where the leader connects, for messages: `host:port` and the secrets messages must not contain. */
export interface ServerDescription {
  /** `host:port` (several for a Cluster), or a generic phrase when it cannot be told. */
  readonly address: string;
  /** Strings to strip from any text we log or throw: the password and the URL. */
  readonly secrets: readonly string[];
}

/** The name an owned connection shows in `CLIENT LIST`. */
const CONNECTION_NAME = "sched-leader-redis";

/** Whether `client` is an ioredis Cluster (checked by its flag, so another copy of ioredis works too). */
function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * Describes the server of `client` without its password: the node's `host:port`, or the
 * primaries a Cluster client knows. Read when a message is written, so it names the current nodes.
 * `url` (the one the client was made from, if any) is treated as a secret as a whole.
 */
export function describeServer(client: Redis | Cluster, url: string | undefined): ServerDescription {
  const secrets: string[] = [];
  if (url !== undefined && url !== "") {
    secrets.push(url);
    try {
      const password = new URL(url).password;
      if (password !== "") secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL we can parse: the whole text is already a secret.
    }
  }
  if (isCluster(client)) {
    const password = client.options.redisOptions?.password;
    if (typeof password === "string" && password !== "") secrets.push(password);
    const nodes = client.nodes("master").map((node) => `${node.options.host}:${node.options.port}`);
    const address = nodes.length > 0 ? nodes.join(", ") : "the nodes of the given Cluster client";
    return { address, secrets };
  }
  const options = client.options;
  if (typeof options.password === "string" && options.password !== "") secrets.push(options.password);
  const address = options.path ? options.path : `${options.host ?? "localhost"}:${options.port ?? 6379}`;
  return { address, secrets };
}

/** Removes every secret of `server` from `text`. */
export function redactServer(text: string, server: ServerDescription): string {
  return redact(text, server.secrets);
}

/**
 * Wraps a failure of `action` as a {@link StoreError} whose message names the server by
 * `host:port` and never contains the password. `lastConnectionError` (an owned client's last
 * socket error, such as `connect ECONNREFUSED`) is added when the failure itself does not say
 * why. The `cause` is a sanitized copy of the original (`sanitizedError`): no password, no URL,
 * no command arguments.
 */
export function toStoreError(
  err: unknown,
  action: string,
  server: ServerDescription,
  lastConnectionError?: string,
): StoreError {
  let detail = err instanceof Error ? err.message : String(err);
  if (lastConnectionError !== undefined && !detail.includes(lastConnectionError)) {
    detail = `${detail} (last connection error: ${lastConnectionError})`;
  }
  return new StoreError(
    `RedisLeader could not ${action} on Redis at ${server.address}: ${redactServer(detail, server)}`,
    // The driver's error may carry the password (the arguments of the AUTH that failed).
    { cause: sanitizedError(err, server.secrets) },
  );
}

/**
 * Creates the client the leader owns when given a URL. It connects at the first command, not
 * before. While Redis is unreachable a command fails at the first failed connection attempt
 * (`maxRetriesPerRequest: 0`) instead of waiting in the offline queue, so `acquire()` answers
 * `false` at once; the client keeps reconnecting in the background. `db` overrides the URL's path.
 * Each command fails after `commandTimeoutMs` (0: no bound) when the server does not answer.
 */
export function createOwnedClient(
  url: string | undefined,
  db: number | undefined,
  timeoutMs: number,
  commandTimeoutMs: number,
): Redis {
  const options = {
    lazyConnect: true,
    connectionName: CONNECTION_NAME,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.min(timeoutMs, 10_000),
    // A server that hangs never closes a connection we end: destroy the socket soon (default 2 s).
    disconnectTimeout: 500,
    ...(commandTimeoutMs > 0 ? { commandTimeout: commandTimeoutMs } : {}),
  };
  const client = url === undefined ? new Redis(options) : new Redis(url, options);
  // The URL's path fills `db` when parsed; an explicit option wins. Not connected yet, so it applies.
  if (db !== undefined) client.options.db = db;
  return client;
}
