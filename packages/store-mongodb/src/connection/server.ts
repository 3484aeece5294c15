import type { MongoClient } from "mongodb";

/** Where a client connects, for messages: its hosts, and the secrets messages must not contain. */
export interface ServerDescription {
  /** The hosts of the deployment, `host:port` comma separated (`the hosts of the given client` when unknown). */
  readonly address: string;
  /** Strings that must never appear in a message: the URL, its user information and password, encoded and decoded. */
  readonly secrets: readonly string[];
}

/**
 * Describes the deployment of `client` without its credentials. `url` (the one the client was
 * made from, if any) is a secret as a whole, and so are its user information and password; the
 * password of a client passed in (`client.options.credentials`) is a secret too.
 */
export function describeServer(client: MongoClient, url: string | undefined): ServerDescription {
  const secrets: string[] = [];
  if (url !== undefined && url !== "") {
    secrets.push(url);
    for (const part of credentialsOfUrl(url)) secrets.push(part);
  }
  const options = (client as { options?: { hosts?: unknown; credentials?: unknown } }).options;
  const credentials = options?.credentials as { username?: unknown; password?: unknown } | undefined;
  const password = credentials?.password;
  if (typeof password === "string" && password !== "") secrets.push(password);
  const hosts = Array.isArray(options?.hosts)
    ? options.hosts.map((host: unknown) => String(host)).filter((host) => host !== "")
    : [];
  const address = hosts.length > 0 ? hosts.join(",") : "the hosts of the given client";
  return { address, secrets: [...new Set(secrets)].sort((a, b) => b.length - a.length) };
}

/**
 * The user name and password of a `mongodb://` or `mongodb+srv://` URL, encoded and decoded. Read
 * by hand: a URL of several hosts (`h1:27017,h2:27017`) does not parse with `URL`.
 */
function credentialsOfUrl(url: string): string[] {
  const match = /^[a-z+]+:\/\/([^@/]*)@/i.exec(url);
  if (match === null) return [];
  const userInfo = match[1] ?? "";
  const colon = userInfo.indexOf(":");
  // The user name alone is no secret (and may be a common word); the password is.
  const parts = colon < 0 ? [] : [userInfo.slice(colon + 1)];
  const secrets: string[] = [userInfo];
  for (const part of parts) {
    if (part === "") continue;
    secrets.push(part);
    try {
      secrets.push(decodeURIComponent(part));
    } catch {
      // Not valid percent-encoding: the raw text is already a secret.
    }
  }
  return secrets.filter((secret) => secret !== "");
}
