import { ConfigError, describeValue } from "@sched/core/adapter";

/** One Sentinel process: where to ask which server is the primary. */
export interface SentinelAddress {
  /** Host name or IP address of the Sentinel. */
  readonly host: string;
  /** Its TCP port (Sentinel's default is 26379). */
  readonly port: number;
}

/** The longest primary name taken (Sentinel itself takes any name without spaces). */
const MAX_NAME_LENGTH = 200;
/** A name without whitespace or control characters, as `sentinel monitor` takes. */
const PRIMARY_NAME = /^[^\s\p{Cc}]+$/u;

/**
 * Checks a list of Sentinels: a non-empty array of `{ host, port }`, each host a non-empty string
 * and each port an integer from 1 to 65535.
 *
 * @param field - the option's name for messages (`sentinels`).
 * @throws ConfigError (`CONFIG_INVALID`) with `field` for anything else, naming the bad entry.
 */
export function checkSentinels(value: unknown, field: string): readonly SentinelAddress[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(
      field,
      'expected a non-empty array of { host, port }, e.g. [{ host: "10.0.0.1", port: 26379 }]',
    );
  }
  return value.map((entry: unknown, index) => {
    const { host, port } = (entry ?? {}) as { host?: unknown; port?: unknown };
    if (typeof host !== "string" || host.trim() === "") {
      throw new ConfigError(`${field}[${index}].host`, "expected a non-empty host name or IP address");
    }
    if (!(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535)) {
      throw new ConfigError(`${field}[${index}].port`, "expected an integer port from 1 to 65535");
    }
    return { host, port: port as number };
  });
}

/**
 * Checks the name of the primary the Sentinels monitor: a string of 1 to 200 characters without
 * whitespace.
 *
 * @param field - the option's name for messages (`name` on the store, `sentinelName` on the leader).
 * @throws ConfigError (`CONFIG_INVALID`) with `field` otherwise.
 */
export function checkPrimaryName(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length > MAX_NAME_LENGTH || !PRIMARY_NAME.test(value)) {
    throw new ConfigError(
      field,
      `expected the name the Sentinels monitor the primary under (1-${MAX_NAME_LENGTH} characters without spaces), e.g. "mymaster"`,
    );
  }
  return value;
}

/**
 * Checks a password option: a non-empty string. The value is never quoted.
 *
 * @throws ConfigError (`CONFIG_INVALID`) with `field` otherwise.
 */
export function checkPassword(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw new ConfigError(field, "expected a non-empty string");
  return value;
}

/**
 * Parses a list of Sentinels written as text, as in `SCHEDULER_REDIS_SENTINELS`:
 * `host:port` entries separated by commas (`10.0.0.1:26379,10.0.0.2:26379`), spaces around
 * entries ignored; an IPv6 address goes in brackets (`[::1]:26379`).
 *
 * @param field - the variable's name for messages.
 * @throws ConfigError (`CONFIG_INVALID`) with `field`, naming the entry that does not parse by its
 *   place (quoted only when it is a plain word: an entry may be a connection string by mistake).
 */
export function parseSentinelList(text: string, field: string): SentinelAddress[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw new ConfigError(field, "expected host:port entries separated by commas");
  return entries.map((entry, i) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (match === null || !(port >= 1 && port <= 65_535)) {
      throw new ConfigError(
        field,
        `expected host:port entries separated by commas; entry ${i + 1} of ${entries.length} is ${describeValue(entry)}`,
      );
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

/** The Sentinels of a description, `host:port` comma separated (an IPv6 host in brackets). */
export function sentinelAddresses(sentinels: readonly SentinelAddress[]): string {
  return sentinels
    .map(({ host, port }) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`))
    .join(",");
}
