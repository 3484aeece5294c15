import {
  assertKnownOptions,
  assertLogger,
  ConfigError,
  type Duration,
  LeaseLeader,
  type LeaseLeaderOptions,
  parseDuration,
  readOptions,
  StoreError,
} from "@sched/core/adapter";
import {
  assertCollectionPrefix,
  closeConnection,
  DEFAULT_COLLECTION_PREFIX,
  isDuplicateKeyError,
  type MongoConnection,
  openConnection,
  storeError,
} from "@sched/store-mongodb/connection";
import type { Collection, Filter, MongoClient, ObjectId, UpdateFilter } from "mongodb";
import {
  electionFilter,
  electionUpdate,
  freeLease,
  type LeaseDocument,
  leaseId,
  release,
  renewalFilter,
  renewalUpdate,
} from "./lease-document.js";

/** Options of {@link MongoLeader}. Give `url`, or `client` and `dbName`. */
export interface MongoLeaderOptions extends LeaseLeaderOptions {
  /**
   * A `mongodb://` or `mongodb+srv://` URL. The leader opens (and {@link MongoLeader.close} ends)
   * its own client. The database is `dbName`, or else the URL's path.
   */
  url?: string;
  /** A `MongoClient` to use instead, e.g. your store's. It is yours: `close()` leaves it open. Needs `dbName`. */
  client?: MongoClient;
  /** The database of the lease collection: required with `client`, and wins over the URL's path. */
  dbName?: string;
  /**
   * Prefix of the lease collection's name (`<prefix>leases`); default `"scheduler_"`, as for
   * `@sched/store-mongodb`. 1-60 characters of `A-Z a-z 0-9 _ . -`.
   */
  collectionPrefix?: string;
  /** The leadership to compete for: leaders with the same collection and name elect one. Default `"scheduler"`. */
  name?: string;
  /** This instance's id, stored as the lease's holder; default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  /**
   * The longest the leader waits for MongoDB in any call: an acquire or renewal not answered by
   * then (or by 90% of the TTL, if sooner) fails, and the instance does not lead; a release
   * rejects. Also the server-side limit of each operation (`maxTimeMS`); the client opened from
   * `url` waits 80% of it (or of 90% of the TTL, if sooner) to select a server and to connect.
   * Default `"3s"`.
   */
  commandTimeout?: Duration;
}

/** Every option name of {@link MongoLeaderOptions}, its own and those of {@link LeaseLeaderOptions}. */
const OPTION_NAMES = [
  "url",
  "client",
  "dbName",
  "collectionPrefix",
  "name",
  "instanceId",
  "ttl",
  "logger",
  "commandTimeout",
] as const satisfies ReadonlyArray<keyof MongoLeaderOptions>;

/** The default of `commandTimeout`, in ms. */
const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;
/** The `appName` of the client the leader opens: it shows in the server's logs and `currentOp`. */
const APP_NAME = "sched-leader-mongodb";

/**
 * A {@link Leader} backed by a lease document in MongoDB (`<prefix>leases`, one document per
 * leadership name). The lease is judged by the server's clock: an election takes the document only
 * when it is free, or `renewedAt + ttlMs <= $$NOW` on the server, or it still holds this
 * instance's last granted term; `renewedAt` is written with `$currentDate`. Each election raises
 * the `term` by 1 (`$inc`), so terms strictly increase; a renewal keeps it. Each call is one
 * atomic `findOneAndUpdate` on one document: of two concurrent electors, one wins and the other
 * matches nothing. Locally, {@link isLeader} turns false once the TTL minus a 10% safety margin has
 * passed since the last successful renewal was sent, and at the first failed renewal, so a leader
 * that cannot renew stops before its lease can expire on the server. It is passive (no timers):
 * the runtime calls {@link acquire} every `lockRefresh`.
 *
 * Works on a standalone server, a replica set and a sharded cluster (reads and writes go to the
 * primary); needs MongoDB 4.2 or later (`$$NOW`).
 *
 * @example
 * ```ts
 * const leader = new MongoLeader({ url: "mongodb://localhost:27017/app", ttl: "30s" });
 * const scheduler = createScheduler({ store, leader, distributed: { enabled: true } });
 * ```
 */
export class MongoLeader extends LeaseLeader {
  /** The name of the lease collection, e.g. `scheduler_leases`. */
  readonly collectionName: string;
  private readonly connection: MongoConnection;
  private readonly leases: Collection<LeaseDocument>;
  private readonly id: ObjectId;
  /** The `maxTimeMS` of each operation. */
  private readonly operationLimitMs: number;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming a bad option: an unknown option name (with the
   *   known one it looks like), both `client` and `url` or neither, a `client` that is not a
   *   `MongoClient` or has no `dbName`, a URL of another scheme or naming no database (the URL is
   *   never quoted), a database name or collection prefix MongoDB refuses, a name, instance id,
   *   TTL, command timeout or logger of the wrong type or value.
   */
  constructor(given: MongoLeaderOptions = {}) {
    // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
    const options = readOptions(given, "", "option");
    assertKnownOptions(options, OPTION_NAMES);
    if (options.logger !== undefined) assertLogger(options.logger);
    const commandTimeoutMs = commandTimeoutOption(options.commandTimeout);
    const prefix = assertCollectionPrefix(options.collectionPrefix ?? DEFAULT_COLLECTION_PREFIX);
    checkTypes(options);
    super({ kind: "MongoLeader", commandTimeoutMs }, options);
    this.operationLimitMs = commandTimeoutMs;
    // The driver gives up a little before the leader's own bound, so that a failure is reported
    // with the driver's reason (`connect ECONNREFUSED …`) rather than as "no answer".
    const driverBoundMs = Math.max(1, Math.floor(Math.min(commandTimeoutMs, this.localLeaseMs) * 0.8));
    this.connection = openConnection(options, {
      serverSelectionTimeoutMs: driverBoundMs,
      connectTimeoutMs: driverBoundMs,
      appName: APP_NAME,
    });
    this.collectionName = `${prefix}leases`;
    this.leases = this.connection.db.collection<LeaseDocument>(this.collectionName);
    this.id = leaseId(this.name);
  }

  /**
   * Creates the lease collection if it is missing. Optional: MongoDB creates it at the first
   * election, and it needs no index beside `_id`. Idempotent, and safe when many instances run it
   * at once.
   *
   * @throws StoreError naming the hosts (never the password) when MongoDB cannot be reached or
   *   refuses, and when the leader is closed.
   */
  async migrate(): Promise<void> {
    if (this.closed) throw new StoreError("MongoLeader is closed; create a new one to migrate");
    try {
      const existing = await this.connection.db
        .listCollections({ name: this.collectionName }, { nameOnly: true })
        .toArray();
      if (existing.length === 0) await this.connection.db.createCollection(this.collectionName);
    } catch (err) {
      // Another instance created it between the two calls (NamespaceExists).
      if ((err as { code?: unknown }).code === 48) return;
      throw storeError(err, "migrate the lease collection", this.connection.server());
    }
  }

  /**
   * Takes the lease with the term raised by 1 when it is free, expired by the server's clock, or
   * still holds this instance's leadership `grantedTerm`. For a name without a document, first
   * inserts a free lease (term `grantedTerm` or 0); an insert that finds one there (duplicate
   * `_id`) means another holder's unexpired lease stands.
   */
  protected async elect(grantedTerm: number | null): Promise<number | null> {
    const taken = await this.takeLease(grantedTerm);
    if (taken !== null) return taken;
    try {
      await this.leases.insertOne(freeLease(this.id, this.name, grantedTerm), this.limits());
    } catch (err) {
      if (isDuplicateKeyError(err)) return null;
      throw err;
    }
    // The free lease is in place (someone else may take it first: then this matches nothing).
    return this.takeLease(grantedTerm);
  }

  /** Extends the lease by another TTL from the server's now while it holds this instance's `term`. */
  protected async reelect(term: number): Promise<number | null> {
    const renewed = await this.leases.findOneAndUpdate(
      renewalFilter(this.id, this.instanceId, term) as Filter<LeaseDocument>,
      renewalUpdate(this.ttlMs) as UpdateFilter<LeaseDocument>,
      { ...this.limits(), projection: { term: 1 }, returnDocument: "after" },
    );
    return renewed === null ? null : term;
  }

  /** Frees the lease if it still names this instance as holder; the term is kept. */
  protected async resign(): Promise<void> {
    const { filter, update } = release(this.id, this.instanceId);
    await this.leases.updateOne(
      filter as Filter<LeaseDocument>,
      update as UpdateFilter<LeaseDocument>,
      this.limits(),
    );
  }

  /** Names the deployment's hosts (never the URL or a password); the cause is a redacted copy. */
  protected override describeError(error: unknown, action: string): Error {
    return storeError(error, action, this.connection.server());
  }

  /** Ends the client the leader opened, within about 2 s; a client you gave stays open. */
  protected async closeConnection(): Promise<void> {
    await closeConnection(this.connection);
  }

  /** Drops the sockets of the client the leader opened, so calls in flight fail at once. */
  protected override destroyConnections(): void {
    if (this.connection.owned) this.connection.client.close(true).catch(() => undefined);
  }

  /** The election itself: resolves the new term, or `null` when the lease is not takeable. */
  private async takeLease(grantedTerm: number | null): Promise<number | null> {
    const taken = await this.leases.findOneAndUpdate(
      electionFilter(this.id, this.instanceId, grantedTerm) as Filter<LeaseDocument>,
      electionUpdate(this.name, this.instanceId, this.ttlMs) as UpdateFilter<LeaseDocument>,
      { ...this.limits(), projection: { term: 1 }, returnDocument: "after" },
    );
    return taken === null ? null : Number(taken.term);
  }

  /** The server-side limit of each operation, so a call the leader gave up on does not run on. */
  private limits(): { maxTimeMS?: number } {
    return Number.isFinite(this.operationLimitMs) ? { maxTimeMS: this.operationLimitMs } : {};
  }
}

/**
 * Reads `commandTimeout` in ms: a duration above 0.
 *
 * @throws ConfigError (`CONFIG_INVALID`) naming `commandTimeout`.
 */
function commandTimeoutOption(value: unknown): number {
  if (value === undefined) return DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof value !== "number" && typeof value !== "string") {
    throw new ConfigError(
      "commandTimeout",
      `expected a duration such as "3s" or a number of ms, got ${value === null ? "null" : typeof value}`,
    );
  }
  let ms: number;
  try {
    ms = parseDuration(value, "commandTimeout");
  } catch {
    throw new ConfigError("commandTimeout", 'expected a duration such as "3s" or a number of ms above 0');
  }
  if (!(ms >= 1) || ms > 2_147_483_647) {
    throw new ConfigError("commandTimeout", `expected a duration from 1ms up to 2147483647ms, got ${ms}ms`);
  }
  return Math.ceil(ms);
}

/**
 * Refuses an option of the wrong type, naming it (`null` included: it is not "absent"). The values
 * are checked further where they are used.
 */
function checkTypes(options: MongoLeaderOptions): void {
  for (const field of ["url", "dbName", "name", "instanceId"] as const) {
    const value: unknown = options[field];
    if (value !== undefined && typeof value !== "string") {
      throw new ConfigError(field, `expected a string, got ${value === null ? "null" : typeof value}`);
    }
  }
  const ttl: unknown = options.ttl;
  if (typeof ttl === "string") {
    try {
      parseDuration(ttl, "ttl");
    } catch {
      // Never echo the value: it may be anything (a connection string put in the wrong option).
      throw new ConfigError(
        "ttl",
        `expected a duration such as "30s" (a string needs a unit), got a string of ${ttl.length} characters`,
      );
    }
  } else if (ttl !== undefined && typeof ttl !== "number") {
    throw new ConfigError(
      "ttl",
      `expected a duration such as "30s" or a number of ms, got ${ttl === null ? "null" : typeof ttl}`,
    );
  }
}
