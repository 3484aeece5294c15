import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../clock.js";
import { type Duration, parseDuration } from "../duration.js";
import { ConfigError } from "../errors.js";
import type { Leader } from "../leader.js";
import { assertKnownOptions } from "../option-names.js";
import { leaseOf, MemoryLeaderGroup, type MemoryLease } from "./leader-group.js";

/** Options of {@link MemoryLeader}. */
export interface MemoryLeaderOptions {
  /** This instance's id; default a random `memory-<uuid>`. */
  instanceId?: string;
  /** The leadership to compete for; leaders with the same group and name elect one. Default `"scheduler"`. */
  name?: string;
  /** How long a lease lasts without renewal; default `"30s"`. */
  ttl?: Duration;
  /** The clock that judges leases; default the system clock. */
  clock?: Clock;
  /** The group whose lease this leader competes for; default {@link MemoryLeaderGroup.shared}. */
  group?: MemoryLeaderGroup;
}

/**
 * A {@link Leader} among the `MemoryLeader`s of one process that share a
 * {@link MemoryLeaderGroup} and a name: a lease with a TTL, judged by the clock. It is passive
 * (no timers): the runtime calls {@link acquire} periodically to take or renew the lease, and
 * {@link isLeader} turns false on its own once the lease lapses.
 */
export class MemoryLeader implements Leader {
  /** {@inheritDoc Leader.instanceId} */
  readonly instanceId: string;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  /** The lease shared with the other leaders of the same group and name. */
  private readonly lease: MemoryLease;
  private readonly listeners = new Set<(isLeader: boolean, term: number) => void>();
  private currentTerm = 0;
  /** Whether this instance believes it leads (until `renewedAt + ttl`). */
  private leading = false;
  private renewedAt = 0;
  private closed = false;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming an unknown option or a bad `ttl`.
   */
  constructor(options: MemoryLeaderOptions = {}) {
    assertKnownOptions(options, ["instanceId", "name", "ttl", "clock", "group"]);
    this.instanceId = options.instanceId ?? `memory-${randomUUID()}`;
    let ttlMs: number;
    try {
      ttlMs = parseDuration(options.ttl ?? "30s", "ttl");
    } catch (err) {
      throw new ConfigError("ttl", (err as Error).message.replace("ttl: ", ""), { cause: err });
    }
    if (ttlMs <= 0)
      throw new ConfigError("ttl", `expected a positive duration, got ${JSON.stringify(options.ttl)}`);
    this.ttlMs = ttlMs;
    this.clock = options.clock ?? systemClock;
    this.lease = leaseOf(options.group ?? MemoryLeaderGroup.shared, options.name ?? "scheduler");
  }

  /** {@inheritDoc Leader.term} */
  get term(): number {
    return this.currentTerm;
  }

  /** Whether this instance holds the lease and it has not lapsed (`now < last renewal + ttl`). */
  isLeader(): boolean {
    return this.checkLease(this.clock.now());
  }

  /** Takes the lease when it is free or has lapsed (with a new, higher term), or renews it when held. */
  async acquire(): Promise<boolean> {
    if (this.closed) return false;
    const now = this.clock.now();
    const lease = this.lease;
    if (this.checkLease(now)) {
      lease.expiresAt = now + this.ttlMs;
      this.renewedAt = now;
      return true;
    }
    if (lease.holder !== null && now < lease.expiresAt) return false;
    lease.term++;
    lease.holder = this;
    lease.holderId = this.instanceId;
    lease.expiresAt = now + this.ttlMs;
    this.currentTerm = lease.term;
    this.renewedAt = now;
    this.leading = true;
    this.emit(true);
    return true;
  }

  /** Frees the lease if this instance holds it, so another can take over at once. */
  async release(): Promise<void> {
    const lease = this.lease;
    if (lease.holder === this) {
      lease.holder = null;
      lease.holderId = null;
      lease.expiresAt = 0;
    }
    if (this.leading) {
      this.leading = false;
      this.emit(false);
    }
  }

  /** {@inheritDoc Leader.onLeaderChange} */
  onLeaderChange(listener: (isLeader: boolean, term: number) => void): () => void {
    const wrapped = (isLeader: boolean, term: number): void => listener(isLeader, term);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  /** Releases the lease and drops listeners. Idempotent; a closed leader never leads again. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
    this.listeners.clear();
  }

  /** Whether the lease is still this instance's at `now`; steps down (and tells listeners) once it is not. */
  private checkLease(now: number): boolean {
    if (!this.leading) return false;
    if (this.lease.holder === this && now < this.renewedAt + this.ttlMs) return true;
    this.leading = false;
    this.emit(false);
    return false;
  }

  private emit(isLeader: boolean): void {
    for (const listener of this.listeners) {
      try {
        listener(isLeader, this.currentTerm);
      } catch {
        // A listener's failure must not change who leads.
      }
    }
  }
}
