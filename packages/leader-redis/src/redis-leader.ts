import { randomBytes } from "node:crypto";
import {
  assertKnownOptions,
  assertLogger,
  ConfigError,
  type Duration,
  LeaseLeader,
  type LeaseLeaderOptions,
  type Logger,
  readOptions,
} from "@sched/core/adapter";
import {
  checkConnectionOptions,
  closeClient,
  commandTimeoutOption,
  openConnection,
  type RedisConnection,
  type SentinelAddress,
  storeError,
} from "@sched/store-redis/connection";
import type { Cluster, Redis } from "ioredis";
import { defineLeaseScripts, type LeaseKeys, type LeaseScripts, leaseKeys } from "./lease-scripts.js";

/** Options of {@link RedisLeader}. Give one of `url`, `client` and `sentinels`. */
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
  /** The database of the connection opened from `url` or through `sentinels` (overrides the URL's path); not with `client`. */
  db?: number;
  /**
   * Redis Sentinel: the Sentinels to ask for the current primary, e.g.
   * `[{ host: "10.0.0.1", port: 26379 }]`. The leader opens (and `close()` ends) a connection
   * that follows the primary through failovers. Needs `sentinelName`; not with `url` or `client`.
   */
  sentinels?: SentinelAddress[];
  /**
   * The name the Sentinels monitor the primary under (`mymaster`); only with `sentinels`. (The
   * store calls it `name`; here `name` is the leadership's.)
   */
  sentinelName?: string;
  /** The password of the primary and replicas, for the connection the leader opens (`sentinels`, or a `url` without one). */
  password?: string;
  /** The password of the Sentinels, when they have one; only with `sentinels`. */
  sentinelPassword?: string;
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
  "sentinels",
  "sentinelName",
  "password",
  "sentinelPassword",
] as const satisfies ReadonlyArray<keyof RedisLeaderOptions>;

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
  /**
   * The token of the current leadership, or of the last attempt to start one: Redis may still hold
   * it after this instance stepped down (or after an answer that came too late), so the next
   * acquire may take it back at once and release may delete it. `""` when Redis cannot hold ours.
   */
  private token = "";

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError naming a bad option: one it does not know, or a key prefix, name, instance
   *   id, TTL, db, logger, Sentinel setting or password of the wrong type or value, or options
   *   that exclude each other (`client`, `url` and `sentinels`; see `checkConnectionOptions`).
   */
  constructor(given: RedisLeaderOptions = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const options = readOptions(given, "", "option");
    assertKnownOptions(options, OPTION_NAMES);
    if (options.logger !== undefined) assertLogger(options.logger);
    checkConnectionOptions(options);
    const commandTimeoutMs = commandTimeoutOption(options.commandTimeout);
    super(
      {
        kind: "RedisLeader",
        // An answer that takes longer than commandTimeout is given up on: the server hangs.
        commandTimeoutMs: commandTimeoutMs === 0 ? Number.POSITIVE_INFINITY : commandTimeoutMs,
      },
      options,
    );
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

  /**
   * Takes the lease with a new token and a new term (above `grantedTerm`, should the counter have
   * been lost): when it is free, expired, or still holds this instance's previous token.
   */
  protected async elect(grantedTerm: number | null): Promise<number | null> {
    const previousToken = this.token;
    const token = this.newToken();
    // Recorded before sending: a script that runs after we gave up waiting may still write it.
    this.token = token;
    const term = await this.scripts.acquire(this.keys, token, this.ttlMs, previousToken, grantedTerm ?? 0);
    if (term !== 0) return term;
    // Held by another leadership: this token was not written, and Redis holds the previous one at
    // most. Unless a newer attempt has started since (this one having been given up on).
    if (this.token === token) this.token = previousToken;
    return null;
  }

  /** Extends the lease while it holds the token of the leadership `term`; the term is kept. */
  protected async reelect(term: number): Promise<number | null> {
    return (await this.scripts.renew(this.keys, this.token, this.ttlMs)) ? term : null;
  }

  /** Deletes the lease if it still holds this instance's token. */
  protected async resign(): Promise<void> {
    const token = this.token;
    await this.scripts.release(this.keys, token);
    // Deleted, or held by someone else: either way Redis no longer holds this token.
    if (this.token === token) this.token = "";
  }

  /** Names the server by `host:port` (never the password) and the last connection error. */
  protected override describeError(error: unknown, action: string): Error {
    return storeError(error, action, this.connection);
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

  /** Drops the socket of the connection the leader opened, so that a call in flight fails at once. */
  protected override destroyConnections(): void {
    if (this.connection.owned) this.client.disconnect();
  }
}
