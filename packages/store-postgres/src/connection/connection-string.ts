/**
 * Where a connection string points, read the way `pg` reads it (its `pg-connection-string`
 * 2.x `parse`, and `ConnectionParameters`), so that messages name the server `pg` really
 * connects to.
 */

/** The server a usable connection string points to. */
export interface ConnectionStringTarget {
  readonly usable: true;
  /** The host or socket directory; `""` when the string names none (then `PGHOST`, or `localhost`). */
  readonly host: string;
  /** The port as written; `""` when the string names none (then `PGPORT`, or 5432). */
  readonly port: string;
  /** The password in every form it may appear in a message, and the string itself. */
  readonly secrets: readonly string[];
}

/** A connection string `pg` cannot parse, or would read as something else than a server. */
export interface UnusableConnectionString {
  readonly usable: false;
  /** Why, and how to write it; never quotes the string, which may hold a password. */
  readonly problem: string;
}

const EXAMPLE = "postgres://user:password@host:5432/database";

/** Characters that `pg` percent-encodes before it parses: spaces and `%` not followed by two hex digits. */
const NEEDS_ENCODING = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i;

function decodeOr(text: string, decode: (text: string) => string): string {
  try {
    return decode(text);
  } catch {
    return text;
  }
}

/** Why a URL with a scheme does not parse, naming the common causes. */
function parseProblem(text: string): string {
  const [, authority = "", rest = ""] = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is.exec(text) ?? [];
  if (!authority.includes("@") && rest.includes("@")) {
    // `postgres://user:pa/ss@host/db`: the password's `/` ended the authority early.
    return (
      "does not parse as a URL: the user name or password seems to hold / ? or #, which must be " +
      `percent-encoded (/ as %2F, ? as %3F, # as %23); expected e.g. ${EXAMPLE}`
    );
  }
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostAndPort)?.[1];
  if (port !== undefined && port !== "" && !(/^\d+$/.test(port) && Number(port) <= 65_535)) {
    return `does not parse as a URL: its port is not a number from 0 to 65535; expected e.g. ${EXAMPLE}`;
  }
  return (
    `does not parse as a URL; expected e.g. ${EXAMPLE}, with characters such as / ? # : @ and ` +
    "spaces in the user name or password percent-encoded (/ as %2F)"
  );
}

/**
 * Reads a connection string as `pg` does: a string starting with `/` is a socket directory
 * (optionally followed by a space and a database name); anything else is a URL, whose `host` and
 * `port` query parameters win over its authority.
 *
 * @param text - the connection string; it is never put into `problem`.
 * @returns the target `pg` connects to, or why the string is unusable: `pg` cannot parse it
 *   (e.g. a port that is not a number), or it does not start with `scheme://` (or `socket:`), so
 *   that `pg` would read it as a path on a host named `base`, or as a scheme without a host, or
 *   its scheme is not `postgres:`, `postgresql:` or `socket:` (`mysql://…` is a mistake).
 */
export function readConnectionString(text: string): ConnectionStringTarget | UnusableConnectionString {
  if (text.startsWith("/")) {
    return { usable: true, host: text.split(" ")[0]!, port: "", secrets: [text] };
  }
  // Without `scheme://`, pg reads `db.internal:5432/app` as the scheme `db.internal:` on no host,
  // and `db.internal/app` as a path on the host `base`: never what was meant.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^socket:/i.test(text)) {
    return {
      usable: false,
      problem: `is not a URL (it does not start with a scheme such as postgres://); expected e.g. ${EXAMPLE}`,
    };
  }
  // pg connects whatever the scheme says (`mysql://` included): refuse one that names another
  // database, since it is a mistake that would otherwise go to a PostgreSQL server unnoticed.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase() ?? "";
  if (!["postgres", "postgresql", "socket"].includes(scheme)) {
    return {
      usable: false,
      problem: `starts with ${/^[a-z0-9+.-]{1,20}$/.test(scheme) ? `${scheme}://` : "a scheme"}, not postgres:// or postgresql://; expected e.g. ${EXAMPLE}`,
    };
  }
  const encoded = NEEDS_ENCODING.test(text) ? encodeURI(text).replace(/%25(\d\d)/g, "%$1") : text;
  let url: URL;
  let noHost = false;
  try {
    url = new URL(encoded, "postgres://base");
  } catch {
    try {
      // pg's second try: `postgres://user@/database` names no host.
      url = new URL(encoded.replace("@/", "@___DUMMY___/"), "postgres://base");
      noHost = true;
    } catch {
      return { usable: false, problem: parseProblem(text) };
    }
  }
  const secrets = [text, encoded];
  for (const password of [url.password, url.searchParams.get("password") ?? ""]) {
    if (password !== "") secrets.push(password, decodeOr(password, decodeURIComponent));
  }
  if (url.protocol === "socket:") {
    return { usable: true, host: decodeOr(url.pathname, decodeURI), port: "", secrets };
  }
  const hostname = noHost ? "" : url.hostname.replace(/^\[(.+)\]$/, "$1");
  return {
    usable: true,
    host: url.searchParams.get("host") || decodeOr(hostname, decodeURIComponent),
    port: url.searchParams.get("port") || url.port,
    secrets,
  };
}
