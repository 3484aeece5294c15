import { randomBytes } from "node:crypto";
import {
  assertKnownOptions,
  ConfigError,
  type Duration,
  LeaseLeader,
  type LeaseLeaderOptions,
  type Logger,
} from "@sched/core/adapter";
import {
  checkConnectionOptions,
  closeClient,
  commandTimeoutOption,
  openConnection,
  type RedisConnection,
  storeError,
} from "@sched/store-redis/connection";
import type { Cluster, Redis } from "ioredis";
import { defineLeaseScripts, type LeaseKeys, type LeaseScripts, leaseKeys } from "./lease-scripts.js";

/** Options of {@link RedisLeader}. Give `url` or `client`, not both. */
export interface RedisLeaderOptions extends LeaseLeaderOptions {
  /**
   * A `redis://` or `rediss://` URL. The leader opens (and {@link RedisLeader.close} ends) its own
   * connection. Without it or `client`, `redis://127.0.0.1:6379`.
   */
  url?: string;
  /**
   * An ioredis `Redis` or `Cluster` client to use instead, e.g. your store's. It is yours:
   * `close()` leaves it open. Do not give a connection that runs blocking commands (`BLPOP`,
   * `BZPOPMIN`): renewals would wait behind them.
   */
  client?: Redis | Cluster;
  /** Prefix of the leader's keys; default `"scheduler:"`. Letters, digits and `_ . : -`. */
  keyPrefix?: string;
  /** The database of the connection opened from `url` (overrides the URL's path); not with `client`. */
  db?: number;
  /** The leadership to compete for: leaders with the same prefix and name elect one. Default `"scheduler"`. */
  name?: string;
  /** This instance's id, the first part of its lease tokens; default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  /**
   * The longest the leader waits for Redis in any call: an acquire or renewal not answered by then
   * (or by 90% of the TTL, if sooner) fails, and the instance does not lead; a release rejects.
   * Also set as ioredis's `commandTimeout` on the connection the leader opens from `url`.
   * Default `"3s"`; `0` leaves acquires bounded by 90% of the TTL only.
   */
  commandTimeout?: Duration;
}

/** Every option name of {@link RedisLeaderOptions}, its own and those of {@link LeaseLeaderOptions}. */
const OPTION_NAMES = [
  "url",
  "client",
  "keyPrefix",
  "db",
  "name",
  "instanceId",
  "ttl",
  "logger",
  "commandTimeout",
] as const satisfies ReadonlyArray<keyof RedisLeaderOptions>;

/** The longest a release waits for Redis: it is best effort, as an unreleased lease expires. */
const RELEASE_TIMEOUT_MS = 5_000;
/** The longest the release inside `close()` waits: closing must end soon whatever Redis does. */
const CLOSE_RELEASE_MS = 1_000;
/** The name a connection the leader opens shows in `CLIENT LIST`. */
const CONNECTION_NAME = "sched-leader-redis";

/**
 * A {@link Leader} backed by a Redis key: `SET <prefix>{leader:<name>}:lease <token> NX PX <ttl>`,
 * renewed and released by Lua scripts that check the token, with a `term` from `INCR` on
 * `<prefix>{leader:<name>}:term` for each new leadership. Works on a single node and on a
 * Cluster. The lease's TTL is judged by the Redis server's clock. Locally, {@link isLeader} turns
 * false once the TTL minus a 10% safety margin has passed since the last successful renewal was
 * sent, so a leader that cannot renew stops before its lease can expire on the server. It is
 * passive (no timers): the runtime calls {@link acquire} every `lockRefresh`.
 *
 * @example
 * ```ts
 * const leader = new RedisLeader({ url: "redis://localhost:6379", ttl: "30s" });
 * const scheduler = createScheduler({ store, leader, distributed: { enabled: true } });
 * ```
 */
export class RedisLeader extends LeaseLeader {
  /** The keys of the lease and of its term counter. */
  readonly keys: LeaseKeys;
  private readonly client: Redis | Cluster;
  private readonly connection: RedisConnection;
  private readonly scripts: LeaseScripts;
  /** The highest term Redis granted this instance, even one it did not act on (a late answer). */
  private grantedTerm = 0;
  /**
   * The token of the current leadership, or of the last attempt to start one: Redis may still hold
   * it after this instance stepped down (or after an answer that came too late), so the next
   * acquire may take it back at once and release may delete it. `""` when Redis cannot hold ours.
   */
  private token = "";
  /** The longest any call waits for Redis (ms); `Infinity` for no bound of its own. */
  private readonly commandTimeoutMs: number;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError naming a bad option: one it does not know, or a key prefix, name, instance
   *   id, TTL, db or logger of the wrong type or value, or both `client` and `url`.
   */
  constructor(options: RedisLeaderOptions = {}) {
    assertKnownOptions(options, OPTION_NAMES);
    if (options.logger !== undefined && !isLogger(options.logger)) {
      throw new ConfigError(
        "logger",
        "expected an object with debug, info, warn and error functions (pino works)",
      );
    }
    checkConnectionOptions(options);
    const commandTimeoutMs = commandTimeoutOption(options.commandTimeout);
    super("RedisLeader", options);
    this.commandTimeoutMs = commandTimeoutMs === 0 ? Number.POSITIVE_INFINITY : commandTimeoutMs;
    this.keys = leaseKeys(options.keyPrefix ?? "scheduler:", this.name);
    // A command fails at the first failed connection attempt instead of waiting in the offline
    // queue, so acquire() answers false at once; the client keeps reconnecting in the background.
    this.connection = openConnection(options, {
      connectionName: CONNECTION_NAME,
      maxRetriesPerRequest: 0,
      connectTimeoutMs: Math.min(Math.ceil(this.localLeaseMs), 10_000),
      commandTimeoutMs,
    });
    this.client = this.connection.client;
    this.scripts = defineLeaseScripts(this.client);
  }

  /** Renews a leadership this instance holds (same token, same term), or takes the lease with a new token. */
  protected async acquireOrRenew(): Promise<boolean> {
    // Renew (keeping the term) only a leadership this instance still holds locally; any other
    // success is a new leadership with a new token and a higher term.
    const renewing = this.isLeader();
    // Taken before the command is even queued: Redis starts the PX or PEXPIRE later, so
    // `sentAt + ttl` comes no later than the server's expiry (up to the clocks' drift, which the
    // safety margin covers).
    const sentAt = performance.now();
    const previousToken = this.token;
    const token = renewing ? previousToken : this.newToken();
    // Recorded before sending: a script that runs after we gave up waiting may still write it.
    this.token = token;
    let term: number;
    try {
      // An answer after the local lease it would grant has run out is of no use; one that takes
      // longer than commandTimeout is given up on: the server hangs.
      const timeoutMs = Math.ceil(Math.min(this.localLeaseMs, this.commandTimeoutMs));
      term = renewing
        ? await this.run("renew the lease", timeoutMs, async () =>
            (await this.scripts.renew(this.keys, token, this.ttlMs)) ? this.lease.term : 0,
          )
        : await this.run("acquire the lease", timeoutMs, () =>
            this.scripts.acquire(this.keys, token, this.ttlMs, previousToken, this.grantedTerm),
          );
    } catch (err) {
      this.lease.stepDown();
      this.reportFailure(err as Error);
      return false;
    }
    this.clearFailures();
    if (term === 0) {
      // Held by another leadership (or, for a renewal, ours has expired or was deleted): this
      // token is not in Redis, and a failed renewal ends the leadership at once.
      if (!renewing) this.token = previousToken;
      this.lease.stepDown();
      return false;
    }
    if (!renewing) this.grantedTerm = Math.max(this.grantedTerm, term);
    const deadline = sentAt + this.localLeaseMs;
    // A late answer: the local lease it grants is already over. The token stays recorded, so the
    // next acquire takes the lease back at once.
    if (performance.now() >= deadline) {
      this.lease.stepDown();
      return false;
    }
    if (renewing) {
      // If the local lease ran out while the renewal was in flight, the loss was reported: stay
      // down, and take the lease back with a new term at the next acquire.
      return this.lease.renew(deadline);
    }
    this.lease.gain(term, deadline);
    return true;
  }

  /** Steps down, then deletes the lease if it still holds this instance's token. */
  protected async releaseLease(): Promise<void> {
    // Step down first: once release is asked for, this instance must not lead, reachable or not.
    this.lease.stepDown();
    const token = this.token;
    if (token === "") return;
    // Inside close() (which sets `closed` first) the release is shorter: closing must end soon.
    const limit = this.closed ? CLOSE_RELEASE_MS : RELEASE_TIMEOUT_MS;
    const timeoutMs = Math.ceil(Math.min(limit, this.commandTimeoutMs, this.localLeaseMs));
    await this.run("release the lease", timeoutMs, () => this.scripts.release(this.keys, token));
    // Deleted, or held by someone else: either way Redis no longer holds this token.
    if (this.token === token) this.token = "";
  }

  /**
   * Runs one script call, giving up after `timeoutMs` (also while the client waits to connect). A
   * script that still runs after we gave up only writes this instance's own token, which its next
   * acquire takes back or which expires.
   */
  private async run<T>(action: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
    try {
      return await this.withTimeout(timeoutMs, call);
    } catch (err) {
      throw storeError(err, action, this.connection);
    }
  }

  private newToken(): string {
    return `${this.instanceId}:${randomBytes(12).toString("hex")}`;
  }

  /**
   * Ends the connection the leader opened; a `client` you gave stays open. Bounded: a `QUIT` not
   * answered within a second (the server hangs) is followed by a disconnect, whose socket ioredis
   * destroys half a second later.
   */
  protected async closeConnection(): Promise<void> {
    if (this.connection.owned) await closeClient(this.client);
  }
}

/** Whether `value` can be the leader's logger: `debug`, `info`, `warn` and `error` functions. */
function isLogger(value: unknown): value is Logger {
  if (value === null || typeof value !== "object") return false;
  const logger = value as Record<string, unknown>;
  return ["debug", "info", "warn", "error"].every((level) => typeof logger[level] === "function");
}
