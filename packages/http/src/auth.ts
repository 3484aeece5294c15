import { createHash, timingSafeEqual } from "node:crypto";
import { ConfigError } from "@sched/core";

/** What a token may do: `read` sees everything, `write` also acts (pause, retry, delete, …). */
export type Role = "read" | "write";

/** A token's grant: its role, or its role and the name the audit log records for it. */
export type TokenGrant = Role | { role: Role; name: string };

/** The `auth` option: bearer tokens and their grants. */
export interface AuthOptions {
  /**
   * Each accepted token (16 to 4096 characters of `A-Z a-z 0-9 - . _ ~ + /`, optionally ending in
   * `=`) and its grant. A token given as a bare role is named `token-<n>` (n from 1, in the
   * object's order) in the audit log.
   */
  tokens: Record<string, TokenGrant>;
}

/** Who a request comes from: the role and name of its token. */
export interface Session {
  role: Role;
  name: string;
}

interface KnownToken {
  digest: Buffer;
  session: Session;
}

// RFC 6750's b64token: what an Authorization: Bearer header can carry.
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_LENGTH = 4096;
const NAME = /^[\x21-\x7e](?:[\x20-\x7e]{0,98}[\x21-\x7e])?$/;

/**
 * The accepted tokens, kept as SHA-256 digests. A presented token is hashed and compared with
 * every known digest in constant time, so neither the time taken nor an early exit tells how
 * much of a token matched or which one did.
 */
export class TokenTable {
  private readonly known: KnownToken[];

  /**
   * Checks the `auth` option.
   *
   * @throws ConfigError (`CONFIG_INVALID`, field `auth` or `auth.tokens`) when it is missing, has
   *   no token, a token or grant is malformed, or two tokens have one name (a token without a
   *   name is `token-<n>`, its position); the message never quotes a token.
   */
  constructor(auth: unknown) {
    if (auth === undefined || auth === null) {
      throw new ConfigError(
        "auth",
        'the HTTP API is closed by default: give auth: { tokens: { "<token>": "read" | "write" } }',
      );
    }
    if (typeof auth !== "object" || Array.isArray(auth)) {
      throw new ConfigError("auth", "expected { tokens: { <token>: role } }");
    }
    const fields = Object.keys(auth);
    const unknown = fields.filter((field) => field !== "tokens");
    if (unknown.length > 0)
      throw new ConfigError("auth", `unknown field(s) ${unknown.join(", ")}; expected tokens`);
    const tokens = (auth as { tokens?: unknown }).tokens;
    if (tokens === null || typeof tokens !== "object" || Array.isArray(tokens)) {
      throw new ConfigError("auth.tokens", 'expected an object such as { "<token>": "read" }');
    }
    const entries = Object.entries(tokens);
    if (entries.length === 0) throw new ConfigError("auth.tokens", "give at least one token");
    this.known = entries.map(([token, grant], index) => {
      const label = `auth.tokens (token ${index + 1})`;
      if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
        throw new ConfigError(
          label,
          `a token must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / (optionally ending in =); ` +
            "make one with: node -e \"console.log(require('crypto').randomBytes(32).toString('base64url'))\"",
        );
      }
      return { digest: digestOf(token), session: sessionOf(grant, index, label) };
    });
    // The audit log tells actions apart by name: two tokens of one name (given twice, or a given
    // name that is another token's automatic `token-<n>`) would make them one.
    const named = new Map<string, number>();
    this.known.forEach(({ session }, index) => {
      const first = named.get(session.name);
      if (first !== undefined)
        throw new ConfigError(
          `auth.tokens (token ${index + 1})`,
          `the name ${JSON.stringify(session.name)} is token ${first + 1}'s too; give each token a name of its own`,
        );
      named.set(session.name, index);
    });
  }

  /**
   * The session of an `Authorization` header value, or `null` when it is missing, is not
   * `Bearer <token>`, or names no known token.
   */
  authenticate(header: string | null): Session | null {
    if (header === null) return null;
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match === null) return null;
    const digest = digestOf(match[1]!);
    let found: Session | null = null;
    // Every digest is compared, whichever matches, so the time does not depend on which one did.
    for (const known of this.known) {
      if (timingSafeEqual(digest, known.digest) && found === null) found = known.session;
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

function sessionOf(grant: unknown, index: number, label: string): Session {
  if (grant === "read" || grant === "write") return { role: grant, name: `token-${index + 1}` };
  if (grant !== null && typeof grant === "object" && !Array.isArray(grant)) {
    const { role, name, ...rest } = grant as { role?: unknown; name?: unknown };
    if (Object.keys(rest).length > 0)
      throw new ConfigError(
        label,
        `unknown field(s) ${Object.keys(rest).join(", ")}; expected role and name`,
      );
    if (role !== "read" && role !== "write") throw new ConfigError(label, 'role: expected "read" or "write"');
    if (typeof name !== "string" || !NAME.test(name))
      throw new ConfigError(
        label,
        "name: expected 1 to 100 printable ASCII characters, not starting or ending with a space",
      );
    return { role, name };
  }
  throw new ConfigError(label, 'expected "read", "write" or { role, name }');
}
