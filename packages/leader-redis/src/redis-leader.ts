import { randomBytes, randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  ConfigError,
  type Duration,
  type Leader,
  LocalLease,
  type Logger,
  parseDuration,
  type StoreError,
} from "@sched/core";
import type { Cluster, Redis } from "ioredis";
import {
  createOwnedClient,
  describeServer,
  redact,
  type ServerDescription,
  toStoreError,
} from "./connection.js";
import { defineLeaseScripts, type LeaseKeys, type LeaseScripts, leaseKeys } from "./lease-scripts.js";

/** Options of {@link RedisLeader}. Give `url` or `client`, not both. */
export interface RedisLeaderOptions {
  /**
   * A `redis://` or `rediss://` URL. The leader opens (and {@link RedisLeader.close} ends) its own
   * connection. Without it or `client`, `redis://localhost:6379`.
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
  /** How long a lease lasts without renewal, by the Redis server's clock; default `"30s"`. */
  ttl?: Duration;
  /** Where failed renewals are reported (never with a password); default warnings on `console`. */
  logger?: Logger;
}

/**
 * The share of the TTL by which the local lease ends early: it covers a difference in clock rates
 * between this process and Redis, and the time between checking `isLeader()` and acting.
 */
const SAFETY_MARGIN = 0.1;
/** The longest a release waits for Redis: it is best effort, as an unreleased lease expires. */
const RELEASE_TIMEOUT_MS = 5_000;
/** The longest TTL accepted, as for timers (about 24.8 days). */
const MAX_TTL_MS = 2_147_483_647;

const consoleWarnings: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => (fields === undefined ? console.warn(message) : console.warn(message, fields)),
  error: (message, fields) =>
    fields === undefined ? console.error(message) : console.error(message, fields),
};

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
export class RedisLeader implements Leader {
  /** {@inheritDoc @sched/core#Leader.instanceId} */
  readonly instanceId: string;
  /** The name of the lease this leader competes for. */
  readonly name: string;
  /** The keys of the lease and of its term counter. */
  readonly keys: LeaseKeys;
  private readonly ttlMs: number;
  /** How long after sending a successful renewal this instance considers itself the leader. */
  private readonly localLeaseMs: number;
  private readonly client: Redis | Cluster;
  private readonly ownsClient: boolean;
  private readonly url: string | undefined;
  private readonly scripts: LeaseScripts;
  private readonly logger: Logger;
  /** Term, leading flag, local deadline and listeners. */
  private readonly lease = new LocalLease();
  /** The highest term Redis granted this instance, even one it did not act on (a late answer). */
  private grantedTerm = 0;
  /**
   * The token of the current leadership, or of the last attempt to start one: Redis may still hold
   * it after this instance stepped down (or after an answer that came too late), so the next
   * acquire may take it back at once and release may delete it. `""` when Redis cannot hold ours.
   */
  private token = "";
  /** The last socket error of an owned client, to say why a command failed. */
  private lastConnectionError: string | undefined;
  private failures = 0;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Acquire, release and close run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds. Connects lazily.
   *
   * @throws ConfigError naming a bad option (key prefix, name, TTL, db, or both `client` and `url`).
   */
  constructor(options: RedisLeaderOptions = {}) {
    if (options.client !== undefined && options.url !== undefined) {
      throw new ConfigError("client", "give either url or client, not both");
    }
    if (options.url !== undefined && typeof options.url !== "string") {
      throw new ConfigError("url", `expected a string, got ${typeof options.url}`);
    }
    if (
      options.client !== undefined &&
      typeof (options.client as Partial<Redis> | null)?.defineCommand !== "function"
    ) {
      throw new ConfigError("client", "expected an ioredis Redis or Cluster client");
    }
    if (options.db !== undefined) {
      if (options.client !== undefined) {
        throw new ConfigError(
          "db",
          "applies only to the connection opened from url; select it on your client",
        );
      }
      if (!Number.isInteger(options.db) || options.db < 0) {
        throw new ConfigError("db", `expected an integer >= 0, got ${JSON.stringify(options.db)}`);
      }
    }
    this.name = checkText(options.name ?? "scheduler", "name");
    this.keys = leaseKeys(options.keyPrefix ?? "scheduler:", this.name);
    this.instanceId = checkText(
      options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      "instanceId",
    );
    const ttlMs = parseTtl(options.ttl ?? "30s");
    if (!(ttlMs >= 1) || ttlMs > MAX_TTL_MS) {
      throw new ConfigError("ttl", `expected a duration from 1ms up to ${MAX_TTL_MS}ms, got ${options.ttl}`);
    }
    // PX takes whole milliseconds; rounding down keeps the server's lease no longer than asked.
    this.ttlMs = Math.floor(ttlMs);
    this.localLeaseMs = this.ttlMs * (1 - SAFETY_MARGIN);
    this.logger = options.logger ?? consoleWarnings;
    this.url = options.url;
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createOwnedClient(options.url, options.db, Math.ceil(this.localLeaseMs));
    if (this.ownsClient) {
      // Without a listener ioredis prints every failed reconnection attempt; remember the last one
      // instead, to say why a command failed.
      this.client.on("error", (err: Error) => {
        this.lastConnectionError = redact(err.message, this.server());
      });
      this.client.on("ready", () => {
        this.lastConnectionError = undefined;
      });
    }
    this.scripts = defineLeaseScripts(this.client);
  }

  /** {@inheritDoc @sched/core#Leader.term} */
  get term(): number {
    return this.lease.term;
  }

  /**
   * Whether this instance leads, judged by its own monotonic clock: true until the TTL minus the
   * safety margin has passed since the last successful acquire or renewal was sent. Steps down
   * (and tells listeners) once it has.
   */
  isLeader(): boolean {
    return this.lease.isLeader();
  }

  /**
   * Renews the lease when this instance leads (keeping the term), or else takes it when it is free
   * (with a new, higher term). Resolves whether this instance leads afterwards. A failure
   * (unreachable Redis, a lease that expired, was deleted or taken over) steps down at once and
   * resolves `false`; it is logged without secrets, throttled while it lasts.
   */
  acquire(): Promise<boolean> {
    return this.serialize(() => this.acquireOrRenew());
  }

  /**
   * Steps down and deletes the lease if it still holds this instance's token (keeping the term
   * counter), so another instance can take over at once. Does nothing otherwise, or once closed.
   *
   * @throws StoreError when Redis cannot be reached; this instance has stepped down anyway and
   * its lease expires by its TTL.
   */
  release(): Promise<void> {
    return this.serialize(async () => {
      if (!this.closed) await this.releaseLease();
    });
  }

  /** {@inheritDoc @sched/core#Leader.onLeaderChange} */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    return this.lease.onLeaderChange(listener);
  }

  /**
   * Releases the lease if held (ignoring failures: it then expires by its TTL), drops listeners,
   * and ends the connection if the leader opened it; a `client` you gave stays open. Idempotent;
   * a closed leader never leads again.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Set now, so that acquire calls queued behind the close resolve false.
    this.closed = true;
    this.closing = this.serialize(async () => {
      await this.releaseLease().catch(() => undefined);
      this.lease.clearListeners();
      if (this.ownsClient) await this.endOwnedClient();
    });
    return this.closing;
  }

  private async acquireOrRenew(): Promise<boolean> {
    if (this.closed) return false;
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
      // An answer after the local lease it would grant has run out is of no use.
      const timeoutMs = Math.ceil(this.localLeaseMs);
      term = renewing
        ? await this.run("renew the lease", timeoutMs, async () =>
            (await this.scripts.renew(this.keys, token, this.ttlMs)) ? this.lease.term : 0,
          )
        : await this.run("acquire the lease", timeoutMs, () =>
            this.scripts.acquire(this.keys, token, this.ttlMs, previousToken, this.grantedTerm),
          );
    } catch (err) {
      this.lease.stepDown();
      this.reportFailure(err as StoreError);
      return false;
    }
    this.failures = 0;
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

  private async releaseLease(): Promise<void> {
    // Step down first: once release is asked for, this instance must not lead, reachable or not.
    this.lease.stepDown();
    const token = this.token;
    if (token === "") return;
    await this.run("release the lease", Math.min(RELEASE_TIMEOUT_MS, Math.ceil(this.localLeaseMs)), () =>
      this.scripts.release(this.keys, token),
    );
    // Deleted, or held by someone else: either way Redis no longer holds this token.
    if (this.token === token) this.token = "";
  }

  /**
   * Runs one script call, giving up after `timeoutMs` (also while the client waits to connect). A
   * script that still runs after we gave up only writes this instance's own token, which its next
   * acquire takes back or which expires.
   */
  private async run<T>(action: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      throw toStoreError(err, action, this.server(), this.lastConnectionError);
    } finally {
      clearTimeout(timer);
    }
  }

  private server(): ServerDescription {
    return describeServer(this.client, this.url);
  }

  private newToken(): string {
    return `${this.instanceId}:${randomBytes(12).toString("hex")}`;
  }

  private async endOwnedClient(): Promise<void> {
    // QUIT lets the server close the connection after answering what is in flight; a client that
    // is not connected has nothing to flush (and QUIT would wait for a reconnection).
    if (this.client.status === "ready") {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    this.client.disconnect();
  }

  private reportFailure(error: StoreError): void {
    this.failures++;
    // The first failures, then every 20th: an outage must be visible without flooding the log.
    const level = this.failures <= 3 || this.failures % 20 === 0 ? "warn" : "debug";
    this.logger[level](`RedisLeader "${this.name}" could not acquire or renew its lease; not leading`, {
      instanceId: this.instanceId,
      failures: this.failures,
      error: error.message,
    });
  }

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation, operation);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Validates a name or instance id: any 1-200 characters except NUL. */
function checkText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200 || value.includes("\u0000")) {
    throw new ConfigError(field, `expected 1-200 characters without NUL, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses the TTL, reporting a bad one as a {@link ConfigError} like the other options. */
function parseTtl(ttl: Duration): number {
  try {
    return parseDuration(ttl, "ttl");
  } catch (err) {
    throw new ConfigError("ttl", (err as Error).message.replace("ttl: ", ""), { cause: err });
  }
}
