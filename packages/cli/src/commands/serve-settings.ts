import { usageError } from "../exit-codes.js";
import { decimalInteger } from "../job-filters.js";
import type { Env } from "../session.js";

/** A token's grant, as `createHttpHandler` of @sched/http takes it. */
export type TokenGrant = "read" | "write" | { role: "read" | "write"; name: string };

/** How `sched serve` shows job payloads, as the `payloads` option of @sched/http takes it. */
export type PayloadSetting = "show" | "hide" | { redact: string[] };

/** The flags of `sched serve`; each wins over its `SCHEDULER_HTTP_*` variable. */
export interface ServeFlags {
  port?: string;
  host?: string;
  /** Comma-separated dot paths (`--redact user.email,card.number`). */
  redact?: string;
  hidePayloads?: boolean;
  auditLog?: string;
}

/** What `sched serve` runs with, read from its flags and the `SCHEDULER_HTTP_*` variables. */
export interface ServeSettings {
  tokens: Record<string, TokenGrant>;
  port: number;
  host: string;
  payloads: PayloadSetting;
  /** Where the flag or variable the payload setting came from, to name it in errors. */
  payloadsFrom: string | null;
  /** The file the audit log is appended to, or `null` for none (the in-memory log only). */
  auditLog: string | null;
  /** The flag or variable `auditLog` came from. */
  auditLogFrom: string | null;
}

/** A value and where it was set: a flag (`--port`) or a variable (`SCHEDULER_HTTP_PORT`). */
interface Sourced<T> {
  value: T;
  from: string;
}

/** The variable's value when it is set (non-empty), else `undefined`. */
function variable(env: Env, name: string): Sourced<string> | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : { value, from: name };
}

/** The flag's value when given, else the variable's (see {@link variable}). */
function pick(
  flag: string,
  flagValue: string | undefined,
  env: Env,
  name: string,
): Sourced<string> | undefined {
  return flagValue === undefined ? variable(env, name) : { value: flagValue, from: flag };
}

/**
 * The tokens of `SCHEDULER_HTTP_TOKENS`: comma-separated `<role>:<token>` or
 * `<name>:<role>:<token>` entries, the role `read` or `write`. Tokens are never echoed, and are
 * read from the environment only (a flag would show in `ps`).
 *
 * @throws CliError (usage) naming the entry by position when it does not parse, or when there is
 *   no token.
 */
export function parseTokens(value: string): Record<string, TokenGrant> {
  const tokens: Record<string, TokenGrant> = Object.create(null);
  /** The entry (from 1) that gave each token. */
  const entries = new Map<string, number>();
  value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const parts = entry.split(":");
      const named = parts[0] !== "read" && parts[0] !== "write";
      const name = named ? parts[0] : undefined;
      const role = named ? parts[1] : parts[0];
      const token = parts.slice(named ? 2 : 1).join(":");
      if ((role !== "read" && role !== "write") || token.length < 16) {
        throw usageError(
          `SCHEDULER_HTTP_TOKENS: entry ${index + 1} must be <role>:<token> or <name>:<role>:<token>, ` +
            "the role read or write and the token at least 16 characters",
        );
      }
      // The same token twice would take the grant of its last entry: a token listed read-only
      // could silently write. The token itself is never echoed.
      if (Object.hasOwn(tokens, token)) {
        const first = entries.get(token) as number;
        throw usageError(
          `SCHEDULER_HTTP_TOKENS: entry ${index + 1} repeats the token of entry ${first}; give each token once`,
        );
      }
      entries.set(token, index + 1);
      tokens[token] = name === undefined || name === "" ? role : { role, name };
    });
  if (Object.keys(tokens).length === 0) {
    throw usageError(
      "sched serve needs SCHEDULER_HTTP_TOKENS (e.g. write:<a long random token>): the HTTP API is closed without tokens",
    );
  }
  return tokens;
}

function portOf(setting: Sourced<string> | undefined, fallback: number): number {
  if (setting === undefined) return fallback;
  const port = decimalInteger(setting.value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(`${setting.from}: expected an integer from 0 to 65535, got "${setting.value}"`);
  }
  return port;
}

function hostOf(setting: Sourced<string> | undefined): string {
  if (setting === undefined) return "127.0.0.1";
  const host = setting.value.trim();
  if (host === "") throw usageError(`${setting.from}: expected a host name or address, such as 127.0.0.1`);
  return host;
}

/**
 * The dot paths of `--redact` or `SCHEDULER_HTTP_REDACT`: comma-separated, each segment
 * non-empty (`*` matches any one key), as @sched/http's `payloads.redact` takes them.
 *
 * @throws CliError (usage) naming where the value came from, for an empty list or path.
 */
export function parseRedactPaths(value: string, from: string): string[] {
  const paths = value.split(",").map((path) => path.trim());
  if (paths.every((path) => path === ""))
    throw usageError(`${from}: expected comma-separated dot paths such as user.email,card.number`);
  for (const path of paths) {
    if (path === "" || path.split(".").some((segment) => segment === "") || path.length > 500) {
      throw usageError(
        `${from}: "${path}" is not a dot path such as user.email (no empty segments, at most 500 characters)`,
      );
    }
  }
  return paths;
}

/** Reads a boolean variable as @sched/core does: true, 1, yes, on or false, 0, no, off. */
function booleanOf(setting: Sourced<string>): boolean {
  const lower = setting.value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(lower)) return true;
  if (["false", "0", "no", "off"].includes(lower)) return false;
  throw usageError(`${setting.from}: expected true or false, got "${setting.value}"`);
}

/**
 * How payloads are shown: all (the default), hidden (`--hide-payloads`,
 * `SCHEDULER_HTTP_HIDE_PAYLOADS=true`) or with fields redacted (`--redact`,
 * `SCHEDULER_HTTP_REDACT`). Hiding and redacting, from flags or variables in any mix, are refused
 * together: a flag must not quietly weaken what a variable asked for, nor the other way round.
 * For one setting, the flag wins over its variable.
 */
function payloadsOf(flags: ServeFlags, env: Env): { payloads: PayloadSetting; from: string | null } {
  const hideVariable = variable(env, "SCHEDULER_HTTP_HIDE_PAYLOADS");
  const redactVariable = variable(env, "SCHEDULER_HTTP_REDACT");
  const hideFrom =
    flags.hidePayloads === true
      ? "--hide-payloads"
      : hideVariable !== undefined && booleanOf(hideVariable)
        ? hideVariable.from
        : null;
  const redact =
    flags.redact !== undefined
      ? { value: flags.redact, from: "--redact" }
      : redactVariable === undefined
        ? null
        : { value: redactVariable.value, from: redactVariable.from };
  if (hideFrom !== null && redact !== null)
    throw usageError(`${hideFrom} and ${redact.from} contradict each other: give one`);
  if (hideFrom !== null) return { payloads: "hide", from: hideFrom };
  if (redact !== null)
    return { payloads: { redact: parseRedactPaths(redact.value, redact.from) }, from: redact.from };
  return { payloads: "show", from: null };
}

/**
 * The settings of `sched serve` from its flags and the `SCHEDULER_HTTP_*` variables; a flag wins
 * over its variable. Every error names the flag or variable the bad value came from, and never
 * echoes a token.
 *
 * @throws CliError (usage) for a missing or malformed `SCHEDULER_HTTP_TOKENS`, a bad port, host,
 *   redaction path or boolean, or contradicting payload settings.
 */
export function serveSettings(flags: ServeFlags, env: Env): ServeSettings {
  const tokens = parseTokens(env.SCHEDULER_HTTP_TOKENS ?? "");
  const port = portOf(pick("--port", flags.port, env, "SCHEDULER_HTTP_PORT"), 8080);
  const host = hostOf(pick("--host", flags.host, env, "SCHEDULER_HTTP_HOST"));
  const { payloads, from: payloadsFrom } = payloadsOf(flags, env);
  const audit = pick("--audit-log", flags.auditLog, env, "SCHEDULER_HTTP_AUDIT_LOG");
  if (audit !== undefined && audit.value.trim() === "")
    throw usageError(`${audit.from}: expected the path of a file to append the audit log to`);
  return {
    tokens,
    port,
    host,
    payloads,
    payloadsFrom,
    auditLog: audit?.value ?? null,
    auditLogFrom: audit?.from ?? null,
  };
}
