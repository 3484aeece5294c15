import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Duration, parseDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import type { Leader } from "./leader.js";
import { LocalLease } from "./local-lease.js";
import type { Logger } from "./types.js";

/** The longest lease TTL accepted, as for timers (about 24.8 days). */
const MAX_TTL_MS = 2_147_483_647;
/**
 * The share of the TTL by which the local lease ends early: it covers a difference in clock rates
 * between this process and the backend, and the time between checking `isLeader()` and acting.
 */
const SAFETY_MARGIN = 0.1;

/** The options every {@link LeaseLeader} takes. */
export interface LeaseLeaderOptions {
  /** The leadership to compete for; default `"scheduler"`. */
  name?: string;
  /** This instance's id; default `<hostname>-<pid>-<random>`. */
  instanceId?: string;
  /** How long a lease lasts without renewal, by the backend's clock; default `"30s"`. */
  ttl?: Duration;
  /** Where failed renewals are reported (never with a password); default warnings on `console`. */
  logger?: Logger;
}

/** Warnings and errors on `console`, debug and info dropped: the default logger of leaders. */
const consoleWarnings: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => (fields === undefined ? console.warn(message) : console.warn(message, fields)),
  error: (message, fields) =>
    fields === undefined ? console.error(message) : console.error(message, fields),
};

/**
 * The common part of {@link Leader} adapters that hold a lease with a TTL in a backend: option
 * checks, the local lease ({@link LocalLease}), one operation at a time, idempotent close, and
 * failure logging throttled while an outage lasts. An adapter implements the backend's side:
 * {@link acquireOrRenew}, {@link releaseLease} and {@link closeConnection}.
 *
 * Locally, {@link isLeader} turns false once the TTL minus a 10% safety margin
 * ({@link localLeaseMs}) has passed since the last successful acquire or renewal was sent, so a
 * leader that cannot renew stops before its lease can expire in the backend. It is passive (no
 * timers): the runtime calls {@link acquire} every `lockRefresh`.
 */
export abstract class LeaseLeader implements Leader {
  /** {@inheritDoc Leader.instanceId} */
  readonly instanceId: string;
  /** The name of the lease this leader competes for. */
  readonly name: string;
  /** The lease TTL in whole milliseconds. */
  protected readonly ttlMs: number;
  /** How long after sending a successful acquire or renewal this instance considers itself the leader. */
  protected readonly localLeaseMs: number;
  /** Where failures are reported. */
  protected readonly logger: Logger;
  /** Term, leading flag, local deadline and listeners. */
  protected readonly lease = new LocalLease();
  /** Set by {@link close}: a closed leader never leads again. */
  protected closed = false;
  private closing: Promise<void> | null = null;
  private failures = 0;
  /** Acquire, release and close run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Checks and keeps the common options. `kind` names the adapter in log messages.
   *
   * @throws ConfigError naming a bad name, instance id or TTL.
   */
  constructor(
    private readonly kind: string,
    options: LeaseLeaderOptions,
  ) {
    this.name = checkText(options.name ?? "scheduler", "name");
    this.instanceId = checkText(
      options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      "instanceId",
    );
    const ttlMs = parseTtl(options.ttl ?? "30s");
    if (!(ttlMs >= 1) || ttlMs > MAX_TTL_MS) {
      throw new ConfigError("ttl", `expected a duration from 1ms up to ${MAX_TTL_MS}ms, got ${ttlMs}ms`);
    }
    // Backends take whole milliseconds; rounding down keeps their lease no longer than asked.
    this.ttlMs = Math.floor(ttlMs);
    this.localLeaseMs = this.ttlMs * (1 - SAFETY_MARGIN);
    this.logger = options.logger ?? consoleWarnings;
  }

  /** {@inheritDoc Leader.term} */
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
   * or expired (with a new, higher term). Resolves whether this instance leads afterwards. A
   * failure (unreachable backend, a lease that expired or was taken over) steps down at once and
   * resolves `false`; it is logged without secrets, throttled while it lasts. Resolves `false`
   * once closed.
   */
  acquire(): Promise<boolean> {
    return this.serialize(async () => (this.closed ? false : this.acquireOrRenew()));
  }

  /**
   * Steps down and frees the lease if this instance holds it (keeping its term), so another
   * instance can take over at once. Does nothing otherwise, or once closed.
   *
   * @throws StoreError when the backend cannot be reached; this instance has stepped down anyway
   * and its lease expires by its TTL.
   */
  release(): Promise<void> {
    return this.serialize(async () => {
      if (!this.closed) await this.releaseLease();
    });
  }

  /** {@inheritDoc Leader.onLeaderChange} */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    return this.lease.onLeaderChange(listener);
  }

  /**
   * Releases the lease if held (ignoring failures: it then expires by its TTL), drops listeners,
   * and ends the connection if the leader opened it; a client or pool you gave stays open.
   * Idempotent; a closed leader never leads again.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Set now, so that acquire calls queued behind the close resolve false.
    this.closed = true;
    this.closing = this.serialize(async () => {
      await this.releaseLease().catch(() => undefined);
      this.lease.clearListeners();
      await this.closeConnection();
    });
    return this.closing;
  }

  /**
   * Takes or renews the lease in the backend and records the outcome in {@link lease}; called one
   * at a time, never once closed. Failures are reported with {@link reportFailure}, answers with
   * {@link clearFailures}.
   */
  protected abstract acquireOrRenew(): Promise<boolean>;

  /** Steps down, then frees the lease in the backend if this instance may hold it. */
  protected abstract releaseLease(): Promise<void>;

  /** Ends the connection if the leader opened it; never throws. */
  protected abstract closeConnection(): Promise<void>;

  /** Logs a failed acquire or renewal: the first three, then every 20th while the outage lasts. */
  protected reportFailure(error: Error): void {
    this.failures++;
    const level = this.failures <= 3 || this.failures % 20 === 0 ? "warn" : "debug";
    this.logger[level](`${this.kind} "${this.name}" could not acquire or renew its lease; not leading`, {
      instanceId: this.instanceId,
      failures: this.failures,
      error: error.message,
    });
  }

  /** Records that the backend answered: the next failure is logged as a first one. */
  protected clearFailures(): void {
    this.failures = 0;
  }

  /**
   * Runs `call`, rejecting with `Error("no answer within <timeoutMs>ms")` if it has not settled by
   * then. The call itself is not cancelled: adapters make sure a late one only writes this
   * instance's own lease, which its next acquire takes back or which expires.
   */
  protected async withTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([call(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation, operation);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * Validates a name or instance id: any 1-200 characters except NUL. The value is never quoted in
 * the error: a connection string given by mistake must not end up in a log.
 */
function checkText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200 || value.includes("\u0000")) {
    const got =
      typeof value !== "string"
        ? typeof value
        : value.includes("\u0000")
          ? "one with NUL"
          : `${value.length} characters`;
    throw new ConfigError(field, `expected 1-200 characters without NUL, got ${got}`);
  }
  return value;
}

/** Parses the TTL, reporting a bad one as a {@link ConfigError} like the other options, without quoting it. */
function parseTtl(ttl: Duration): number {
  try {
    return parseDuration(ttl, "ttl");
  } catch {
    throw new ConfigError(
      "ttl",
      `expected milliseconds or a duration such as "30s", got ${typeof ttl === "string" ? "a string that is not one" : typeof ttl}`,
    );
  }
}
