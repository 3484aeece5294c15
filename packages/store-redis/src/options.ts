import { assertKnownOptions, ConfigError, type Duration, type ForeignNames } from "@sched/core/adapter";
import type { Cluster, Redis } from "ioredis";
import {
  type ConnectionOptions,
  checkConnectionOptions,
  commandTimeoutOption,
  durationOption,
  type SentinelAddress,
} from "./connection/index.js";
import { assertKeyPrefix, DEFAULT_KEY_PREFIX } from "./keys.js";
import { checkWaitForReplicas, type ReplicaWait, type WaitForReplicas } from "./replication.js";

/** Options of {@link RedisStore}. Give one of `url`, `client` and `sentinels`. */
export interface RedisStoreOptions {
  /** A `redis://` or `rediss://` URL; the store creates the client and closes it. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** An ioredis `Redis` or `Cluster` client the application owns; `close()` leaves it open. */
  client?: Redis | Cluster;
  /**
   * Redis Sentinel: the Sentinels to ask for the current primary, e.g.
   * `[{ host: "10.0.0.1", port: 26379 }]`. The store creates the client (and closes it), which
   * follows the primary through failovers. Needs `name`; not with `url` or `client`.
   */
  sentinels?: SentinelAddress[];
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> …`); only with `sentinels`. */
  name?: string;
  /** The password of the primary and replicas, for a client the store creates (`sentinels`, or a `url` without one). */
  password?: string;
  /** The password of the Sentinels, when they have one; only with `sentinels`. */
  sentinelPassword?: string;
  /**
   * After each write a caller is told succeeded (`createJobs`, `saveSchedule`, `deleteSchedule`,
   * `cancelJob`, `requeueJob`), wait until this many replicas have it, for at most `timeout`
   * (Redis's `WAIT`), e.g. `{ replicas: 1, timeout: "100ms" }`. Short of them the call rejects
   * with a `StoreError`, the write being on the primary. Bounds what a failover can lose; see the
   * README. Not on a Cluster client. Default: no wait.
   */
  waitForReplicas?: WaitForReplicas;
  /** Prefix of every key and of the channel (`A-Z a-z 0-9 _ . : -`, 1-100 characters); default `"scheduler:"`. */
  keyPrefix?: string;
  /** Database number for a client created from `url`. */
  db?: number;
  /**
   * The age of a finished job past which it goes even if `cleanup` never runs (a safety net; it
   * must exceed your longest retention): a dead or cancelled job's hash expires after it, and each
   * completion of a queue deletes that queue's completed jobs older than it (as many as it
   * completed and 10 more, with their listing entries and counts; measured on the completing
   * instance's clock; the shortest non-zero value among the instances completing a queue's jobs
   * applies). A duration (string or ms), rounded up to whole seconds. Default `"720h"` (30 days);
   * `0` disables it.
   */
  finishedJobTtl?: Duration;
  /**
   * The longest any call of the store waits for Redis: past it the call rejects with a
   * `StoreTimeoutError` (`STORE_TIMEOUT`), whatever the client. Also set as ioredis's
   * `commandTimeout` on the clients the store creates (from `url`, and its event connection).
   * Default `"3s"`, the store's share of the time `scheduler.stop()` may take; `0` sets no bound
   * (the scheduler still bounds each call by its `storeTimeout`). One `enqueueMany` batch is one
   * script per queue and must run within it (30,000 jobs take about 1.5 s).
   */
  commandTimeout?: Duration;
}

/** Every option name of {@link RedisStoreOptions}. */
const OPTION_NAMES = [
  "url",
  "client",
  "keyPrefix",
  "db",
  "finishedJobTtl",
  "commandTimeout",
  "sentinels",
  "name",
  "password",
  "sentinelPassword",
  "waitForReplicas",
] as const satisfies ReadonlyArray<keyof RedisStoreOptions>;

/** The options of a store, checked, with their defaults. */
export interface ResolvedStoreOptions {
  readonly keyPrefix: string;
  /** `finishedJobTtl` in whole seconds (0: none). */
  readonly finishedJobTtlSeconds: number;
  /** `commandTimeout` in whole ms (0: no bound). */
  readonly commandTimeoutMs: number;
  /** What `openConnection` needs. */
  readonly connection: ConnectionOptions;
  /** `waitForReplicas`, checked; `null` without it. */
  readonly replicaWait: ReplicaWait | null;
}

/** The longest `finishedJobTtl`: 2^31 - 1 seconds (about 68 years), in ms. */
const MAX_FINISHED_JOB_TTL_MS = (2 ** 31 - 1) * 1000;

/** Names other queues' Redis options have, with the option of a store meant (BullMQ's `connection`). */
const FOREIGN_OPTION_NAMES: ForeignNames = { connection: "client", prefix: "keyPrefix" };

/** The store's name of the primary's name, for messages (ioredis's term). */
export const SENTINEL_NAME_OPTION = { sentinelName: "name" } as const;

/**
 * Checks the options of a store: no unknown name, each known one of its type.
 *
 * @throws ConfigError naming the option: an unknown one, or `url`, `client`, `keyPrefix`, `db`,
 *   `finishedJobTtl`, `commandTimeout`, `sentinels`, `name`, `password`, `sentinelPassword` or
 *   `waitForReplicas` of the wrong type or value, or given together where they exclude each
 *   other (see `checkConnectionOptions` and `checkWaitForReplicas`).
 */
export function resolveStoreOptions(options: RedisStoreOptions): ResolvedStoreOptions {
  assertKnownOptions(options, OPTION_NAMES, "", FOREIGN_OPTION_NAMES);
  const connection: ConnectionOptions = {
    url: options.url,
    client: options.client,
    db: options.db,
    sentinels: options.sentinels,
    sentinelName: options.name,
    password: options.password,
    sentinelPassword: options.sentinelPassword,
  };
  checkConnectionOptions(connection, SENTINEL_NAME_OPTION);
  const keyPrefix = assertKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const ttl = durationOption(options.finishedJobTtl, "720h", "finishedJobTtl");
  // Redis takes expiry times up to about 2^63 ms; a bound of 2^31 - 1 s (68 years) keeps far from it.
  if (ttl > MAX_FINISHED_JOB_TTL_MS) {
    throw new ConfigError(
      "finishedJobTtl",
      `expected at most ${MAX_FINISHED_JOB_TTL_MS / 1000} s (about 68 years), got ${ttl} ms`,
    );
  }
  const commandTimeoutMs = commandTimeoutOption(options.commandTimeout);
  const replicaWait = checkWaitForReplicas(options.waitForReplicas, commandTimeoutMs, options.client);
  return {
    keyPrefix,
    finishedJobTtlSeconds: Math.ceil(ttl / 1000),
    commandTimeoutMs,
    connection,
    replicaWait,
  };
}
