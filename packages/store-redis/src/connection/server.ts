import type { Cluster, Redis } from "ioredis";
import { isCluster } from "./client-kind.js";
import { sentinelAddresses } from "./sentinel.js";

/** Where a client connects, for messages: its address, and the secrets messages must not contain. */
export interface ServerDescription {
  /**
   * `host:port` (a socket path for a Unix socket; the primaries a Cluster client knows, comma
   * separated, or `the nodes of the given Cluster client` before it knows any; for a client made
   * through Sentinels, `primary "mymaster" via Sentinel 10.0.0.1:26379,10.0.0.2:26379`).
   */
  readonly address: string;
  /** Strings that must never appear in a message: the URL and its password, the client's password. */
  readonly secrets: readonly string[];
}

/**
 * Describes the server of `client` without its password. Read when a message is written, so a
 * Cluster's address names its current primaries. `url` (the one the client was made from, if any)
 * is a secret as a whole, and so is its password, encoded and decoded. A client made through
 * Sentinels (its own or one passed in) is named by its primary's name and its Sentinels; its
 * `sentinelPassword` is a secret too.
 */
export function describeServer(client: Redis | Cluster, url: string | undefined): ServerDescription {
  const secrets: string[] = [];
  if (url !== undefined && url !== "") {
    secrets.push(url);
    try {
      const password = new URL(url).password;
      if (password !== "") secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL that parses: the whole text is already a secret.
    }
  }
  if (isCluster(client)) {
    const password = client.options.redisOptions?.password;
    if (typeof password === "string" && password !== "") secrets.push(password);
    const nodes = client
      .nodes("master")
      .map((node) => `${node.options.host ?? "127.0.0.1"}:${node.options.port ?? 6379}`);
    const address = nodes.length > 0 ? nodes.join(",") : "the nodes of the given Cluster client";
    return { address, secrets: longestFirst(secrets) };
  }
  const { host, port, path, password, sentinels, name, sentinelPassword } = client.options;
  if (typeof password === "string" && password !== "") secrets.push(password);
  if (typeof sentinelPassword === "string" && sentinelPassword !== "") secrets.push(sentinelPassword);
  if (Array.isArray(sentinels) && sentinels.length > 0) {
    const list = sentinelAddresses(
      sentinels.map((sentinel) => ({ host: sentinel.host ?? "127.0.0.1", port: sentinel.port ?? 26379 })),
    );
    return {
      address: `primary "${name ?? "mymaster"}" via Sentinel ${list}`,
      secrets: longestFirst(secrets),
    };
  }
  return { address: path ? path : `${host ?? "127.0.0.1"}:${port ?? 6379}`, secrets: longestFirst(secrets) };
}

/** The secrets without repeats, longest first, so that a URL is replaced before its password. */
function longestFirst(secrets: readonly string[]): string[] {
  return [...new Set(secrets)].sort((a, b) => b.length - a.length);
}
