import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { ConfigError, StoreError } from "../errors.js";
import type { Logger } from "../logger/logger.js";
import { assertLogger, safeLogger } from "../logger/safe-logger.js";
import { type Duration, parseDuration } from "../time/duration.js";
import { settlesWithin } from "../time/settle-by.js";
import { isStorable } from "../validation/text.js";
import type { Leader } from "./leader.js";
import { LocalLease } from "./local-lease.js";

/** The longest lease TTL accepted, as for timers (about 24.8 days). */
const MAX_TTL_MS = 2_147_483_647;
/**
 * The share of the TTL by which the local lease ends early: it covers a difference in clock rates
 * between this process and the backend, and the time between checking `isLeader()` and acting.
 */
const SAFETY_MARGIN = 0.1;
/** The longest a release waits for the backend: it is best effort, as an unreleased lease expires. */
const RELEASE_TIMEOUT_MS = 5_000;
/** How long `close()` waits for a call already in flight before it releases the lease anyway. */
const CLOSE_WAIT_FOR_CALL_MS = 500;
/** The longest the release inside `close()` waits: closing must end soon whatever the backend does. */
const CLOSE_RELEASE_TIMEOUT_MS = 1_000;
/**
 * How long `close()` waits for its last calls (an acquire in flight, the release, the end of the
 * connection) before it asks the adapter to destroy its connections, and then again for them to end.
 */
const CLOSE_GRACE_MS = 1_000;

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

/** What an adapter tells {@link LeaseLeader} about its backend, beside the user's options. */
export interface LeaseBackend {
  /** The adapter's name in log messages, e.g. `"PostgresLeader"`. */
  kind: string;
  /**
   * The longest any one backend call may take, in ms: an election or re-election is given up after
   * the smaller of this and the local lease, a release after the smaller of this, the local lease
   * and 5 s (1 s inside `close()`). Default `Infinity`: no bound of the adapter's own.
   */
  commandTimeoutMs?: number;
  /**
   * Whether backend calls are bounded by timers at all; default `true`. `false` only for a backend
   * in this process whose calls settle at once (so the leader sets no timers).
   */
  timedCalls?: boolean;
  /**
   * The share of the TTL by which the local lease ends before the backend's, from 0 to below 1;
   * default 0.1. 0 only for a backend that judges the lease by the very clock given as `now`.
   */
  safetyMargin?: number;
  /**
   * The clock of the local lease, in ms; default `performance.now()` (monotonic). Read just before
   * each election is sent and again when it answers.
   */
  now?: () => number;
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
 * The base of every {@link Leader} that holds a lease with a TTL in a backend. It makes every
 * decision; an adapter only implements the three backend calls and the end of its connection:
 *
 * - {@link elect}: take the lease if it is free or expired (or is this instance's own, granted as
 *   `grantedTerm`), starting a new leadership with a strictly higher term: returns the term, or
 *   `null` when another holder's unexpired lease stands.
 * - {@link reelect}: extend the lease of the leadership `term` that this instance holds: returns the
 *   term it now holds (the same one, or a new one if the backend started a new leadership), or
 *   `null` when the lease is no longer this instance's.
 * - {@link resign}: free the lease if it is still this instance's.
 * - {@link closeConnection}: end the connection if the adapter opened it.
 *
 * The base decides the rest: renew (only a leadership still held locally) or elect; the local
 * deadline, `sentAt + TTL - 10%` by this process's monotonic clock, so a leader that cannot renew
 * stops before its lease can expire in the backend; answers that come too late; step-down; the
 * granted term, handed back to {@link elect} so an instance may take back its own lease at once;
 * whether the backend may still hold this instance's lease (a release is skipped when it cannot);
 * the bound of each call; failure logging, throttled while an outage lasts; one operation at a
 * time; and a bounded, idempotent close. It is passive (no timers between calls): the runtime
 * calls {@link acquire} every `lockRefresh`.
 *
 * A call given up on is not cancelled: the backend calls must be such that a late one only writes
 * this instance's own lease, which its next election takes back or which expires.
 */
export abstract class LeaseLeader implements Leader {
  /** {@inheritDoc Leader.instanceId} */
  readonly instanceId: string;
  /** The name of the lease this leader competes for. */
  readonly name: string;
  /** The lease TTL in whole milliseconds. */
  protected readonly ttlMs: number;
  /** How long after sending a successful election or re-election this instance considers itself the leader. */
  protected readonly localLeaseMs: number;
  /** Where failures are reported. */
  protected readonly logger: Logger;
  /** Set by {@link close}: a closed leader never leads again. */
  protected closed = false;
  /** Term, leading flag, local deadline and listeners. */
  private readonly lease: LocalLease;
  private readonly kind: string;
  private readonly now: () => number;
  private readonly commandTimeoutMs: number;
  private readonly timedCalls: boolean;
  /**
   * The last term the backend granted this instance, even one it did not act on (an answer that
   * came too late): the backend lets it take that lease back at once. `null` before any.
   */
  private grantedTerm: number | null = null;
  /**
   * Whether the backend may hold this instance's lease: a call that could write it was sent since
   * the last successful release, and no answer has shown that it holds none.
   */
  private mayHoldLease = false;
  private closing: Promise<void> | null = null;
  private failures = 0;
  /** Acquire, release and close run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Checks and keeps the common options.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming a bad name, instance id, TTL or logger.
   */
  constructor(backend: LeaseBackend, options: LeaseLeaderOptions) {
    this.kind = backend.kind;
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
    this.localLeaseMs = this.ttlMs * (1 - (backend.safetyMargin ?? SAFETY_MARGIN));
    if (options.logger !== undefined) assertLogger(options.logger);
    // A logger that throws or rejects (an async one) must never break an acquire or a close.
    this.logger = safeLogger(options.logger ?? consoleWarnings);
    this.now = backend.now ?? (() => performance.now());
    this.lease = new LocalLease(this.now);
    this.commandTimeoutMs = backend.commandTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.timedCalls = backend.timedCalls ?? true;
  }

  /** {@inheritDoc Leader.term} */
  get term(): number {
    return this.lease.term;
  }

  /**
   * Whether this instance leads, judged by its own clock: true until the local lease (the TTL less
   * the safety margin) has passed since the last successful election or renewal was sent. Steps
   * down (and tells listeners) once it has.
   */
  isLeader(): boolean {
    return this.lease.isLeader();
  }

  /**
   * Renews the lease when this instance leads (keeping the term), or else takes it when it is free
   * or expired (with a new, higher term). Resolves whether this instance leads afterwards. A
   * failure (unreachable backend, no answer in time, a lease that expired or was taken over) steps
   * down at once and resolves `false`; it is logged without secrets, throttled while it lasts.
   * Resolves `false` once closed.
   *
   * @throws the error for which the adapter's {@link isSetupError} is true (e.g. a `StoreError`
   *   for a missing table): this instance does not lead.
   */
  acquire(): Promise<boolean> {
    return this.serialize(async () => (this.closed ? false : this.electOrRenew()));
  }

  /**
   * Steps down and frees the lease if the backend may hold it (keeping its term), so another
   * instance can take over at once. Does nothing otherwise, or once closed.
   *
   * @throws StoreError (from the adapter's {@link describeError}) when the backend cannot be
   *   reached or does not answer in time; this instance has stepped down anyway and its lease
   *   expires by its TTL.
   */
  release(): Promise<void> {
    return this.serialize(async () => {
      if (!this.closed) await this.stepDownAndResign(RELEASE_TIMEOUT_MS);
    });
  }

  /** {@inheritDoc Leader.onLeaderChange} */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    return this.lease.onLeaderChange(listener);
  }

  /**
   * Waits at most 0.5 s for a call in flight (whose answer is then ignored), releases the lease if
   * held (waiting at most 1 s, and ignoring failures: it then expires by its TTL), drops listeners,
   * and ends the connection if the leader opened it ({@link closeConnection}); a client or pool you
   * gave stays open. When the adapter implements {@link destroyConnections}, a close that has not
   * ended 1 s after the release began (a backend that hangs) destroys the connections, and close
   * resolves within about 2.5 s in all. Idempotent; a closed leader never leads again.
   */
  close(): Promise<void> {
    this.closing ??= this.closeBounded();
    return this.closing;
  }

  /**
   * Starts a new leadership in the backend: takes the lease when it is free or expired by the
   * backend's clock, or when it still holds this instance's leadership `grantedTerm` (given up on
   * locally, e.g. after an answer that came too late). Resolves the new leadership's term, strictly
   * higher than every earlier one, or `null` when another holder's unexpired lease stands (nothing
   * of this instance's is written then). Rejects when the backend cannot be reached.
   *
   * @param grantedTerm The last term the backend granted this instance, or `null` if none.
   */
  protected abstract elect(grantedTerm: number | null): Promise<number | null>;

  /**
   * Extends, for another TTL, the lease of the leadership `term` that this instance holds.
   * Resolves the term held afterwards: `term`, or a new higher one if the backend found the lease
   * free and started a new leadership; `null` when the lease has expired into other hands, was
   * taken over or deleted. Rejects when the backend cannot be reached.
   */
  protected abstract reelect(term: number): Promise<number | null>;

  /**
   * Frees the lease if it still holds this instance's leadership, keeping the term; a newer
   * holder's lease is never touched. Rejects when the backend cannot be reached.
   */
  protected abstract resign(): Promise<void>;

  /** Ends the connection if the leader opened it; a client or pool the user gave stays open. Never throws. */
  protected abstract closeConnection(): Promise<void>;

  /**
   * Optional: destroys the sockets of the connections the adapter opened, so that calls in flight
   * fail at once. Called by {@link close} when it has not ended within 1 s.
   */
  protected destroyConnections?(): void;

  /**
   * Turns a failed backend call (or `Error("no answer within <ms>ms")` for one not answered in
   * time) into the error logged or thrown. `action` says what failed, e.g. `"renew the lease"`.
   * Adapters name the server there, never with a password. Default: a `StoreError` naming the
   * action, with the original as `cause`.
   */
  protected describeError(error: unknown, action: string): Error {
    const detail = error instanceof Error ? error.message : String(error);
    return new StoreError(`${this.kind} could not ${action}: ${detail}`, { cause: error });
  }

  /**
   * Whether a failed election (as returned by {@link describeError}) must reject {@link acquire}
   * instead of resolving `false`: a setup error that no retry mends. Default: none.
   */
  protected isSetupError(_error: Error): boolean {
    return false;
  }

  private async electOrRenew(): Promise<boolean> {
    // Renew (keeping the term) only a leadership this instance still holds locally; any other
    // success is a new leadership with a higher term, so no two leaderships share a term.
    const renewing = this.isLeader();
    // Taken before the call is even queued: the backend starts the TTL later, so `sentAt + ttl`
    // comes no later than the backend's expiry (up to the clocks' drift, which the margin covers).
    const sentAt = this.now();
    const mayHaveHeld = this.mayHoldLease;
    // Set before sending: a call that is given up on may still write this instance's lease.
    this.mayHoldLease = true;
    // An answer after the local lease it would grant has run out is of no use.
    const timeoutMs = Math.min(this.localLeaseMs, this.commandTimeoutMs);
    let term: number | null;
    try {
      term = renewing
        ? await this.call("renew the lease", timeoutMs, () => this.reelect(this.lease.term))
        : await this.call("acquire the lease", timeoutMs, () => this.elect(this.grantedTerm));
    } catch (err) {
      this.lease.stepDown();
      if (this.isSetupError(err as Error)) throw err;
      this.reportFailure(err as Error);
      return false;
    }
    // The backend answered: the next failure is logged as a first one.
    this.failures = 0;
    if (this.closed) {
      // close() did not wait for this answer: a closed leader never leads again.
      this.lease.stepDown();
      return false;
    }
    if (term === null) {
      // Held by another leadership (or, for a renewal, ours has expired or was taken): this call
      // wrote nothing, so the backend holds this instance's lease only if it might before.
      this.mayHoldLease = mayHaveHeld;
      this.lease.stepDown();
      return false;
    }
    this.grantedTerm = term;
    const deadline = sentAt + this.localLeaseMs;
    // A late answer: the local lease it grants is already over. The granted term is kept, so the
    // next election takes the lease back at once.
    if (this.now() >= deadline) {
      this.lease.stepDown();
      return false;
    }
    if (renewing && term === this.lease.term) {
      // If the local lease ran out while the renewal was in flight, the loss was reported: stay
      // down, and take the lease back with a new term at the next acquire.
      return this.lease.renew(deadline);
    }
    // A new leadership: the previous one (if any) has ended.
    this.lease.gain(term, deadline);
    return true;
  }

  /** Steps down, then frees the lease if the backend may hold it, waiting at most `limitMs`. */
  private async stepDownAndResign(limitMs: number): Promise<void> {
    // Step down first: once release is asked for, this instance must not lead, reachable or not.
    this.lease.stepDown();
    if (!this.mayHoldLease) return;
    await this.call("release the lease", Math.min(limitMs, this.commandTimeoutMs, this.localLeaseMs), () =>
      this.resign(),
    );
    this.mayHoldLease = false;
  }

  private async closeBounded(): Promise<void> {
    // Set before anything is awaited, so that acquire calls queued behind the close resolve false,
    // and one in flight does not lead when it answers.
    this.closed = true;
    // A call in flight (an acquire sent to a backend that hangs) is waited for briefly, then
    // left behind: its answer changes nothing once closed, and it can only have written this
    // instance's own lease, which the release below deletes or which expires.
    await settlesWithin(this.tail, CLOSE_WAIT_FOR_CALL_MS);
    const closing = (async () => {
      await this.stepDownAndResign(CLOSE_RELEASE_TIMEOUT_MS).catch(() => undefined);
      this.lease.clearListeners();
      await this.closeConnection();
    })();
    this.tail = closing.catch(() => undefined);
    if (this.destroyConnections === undefined) return closing;
    if (await settlesWithin(closing, CLOSE_GRACE_MS)) return;
    this.destroyConnections();
    await settlesWithin(closing, CLOSE_GRACE_MS);
  }

  /**
   * Runs one backend call, giving up after `timeoutMs` (rounded up): it then rejects with
   * `Error("no answer within <ms>ms")`, described by {@link describeError} like any failure.
   */
  private async call<T>(action: string, timeoutMs: number, backendCall: () => Promise<T>): Promise<T> {
    try {
      return this.timedCalls && Number.isFinite(timeoutMs)
        ? await withTimeout(Math.ceil(timeoutMs), backendCall)
        : await backendCall();
    } catch (err) {
      throw this.describeError(err, action);
    }
  }

  /** Logs a failed election or renewal: the first three, then every 20th while the outage lasts. */
  private reportFailure(error: Error): void {
    // An acquire that close() gave up waiting for fails after it: the leader is gone, nothing to report.
    if (this.closed) return;
    this.failures++;
    const level = this.failures <= 3 || this.failures % 20 === 0 ? "warn" : "debug";
    this.logger[level](`${this.kind} "${this.name}" could not acquire or renew its lease; not leading`, {
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

/**
 * Runs `call`, rejecting with `Error("no answer within <timeoutMs>ms")` if it has not settled by
 * then. The call itself is not cancelled. Leaves no timer behind.
 */
async function withTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
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

/**
 * Validates a name or instance id: any 1-200 characters except NUL and lone surrogates (which a
 * backend rewrites, so that two names would share one lease). The value is never quoted in the
 * error: a connection string given by mistake must not end up in a log.
 */
function checkText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200 || !isStorable(value)) {
    const got =
      typeof value !== "string"
        ? typeof value
        : value.includes("\u0000")
          ? "one with NUL"
          : !isStorable(value)
            ? "one with a lone surrogate"
            : `${value.length} characters`;
    throw new ConfigError(field, `expected 1-200 characters without NUL or lone surrogates, got ${got}`);
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
