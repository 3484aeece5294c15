import { randomUUID } from "node:crypto";
import { ConfigError } from "../errors.js";
import { LeaseLeader } from "../leadership/lease-leader.js";
import { type Clock, systemClock } from "../time/clock.js";
import type { Duration } from "../time/duration.js";
import { assertKnownOptions } from "../validation/option-names.js";
import { readOptions } from "../validation/read-options.js";
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
 * {@link isLeader} turns false on its own once the lease lapses, exactly `ttl` after the last
 * renewal (the group and this instance judge by the same clock, so no safety margin is needed).
 */
export class MemoryLeader extends LeaseLeader {
  /** The lease shared with the other leaders of the same group and name. */
  private readonly shared: MemoryLease;
  private readonly clock: Clock;

  /**
   * Creates a leader that does not lead until {@link acquire} succeeds.
   *
   * @throws ConfigError (`CONFIG_INVALID`) naming an unknown option, a bad `ttl` (a duration of at
   *   least 1 ms), or a bad `name` or `instanceId` (1-200 characters without NUL or lone surrogates).
   */
  constructor(given: MemoryLeaderOptions = {}) {
    const options = readOptions(given, "", "option");
    assertKnownOptions(options, ["instanceId", "name", "ttl", "clock", "group"]);
    const clock = options.clock ?? systemClock;
    if (typeof (clock as Partial<Clock> | null)?.now !== "function") {
      throw new ConfigError("clock", "expected a Clock (now, setTimeout, clearTimeout)");
    }
    if (options.group !== undefined && !(options.group instanceof MemoryLeaderGroup)) {
      throw new ConfigError("group", "expected a MemoryLeaderGroup");
    }
    super(
      { kind: "MemoryLeader", timedCalls: false, safetyMargin: 0, now: () => clock.now() },
      {
        instanceId: options.instanceId ?? `memory-${randomUUID()}`,
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      },
    );
    this.clock = clock;
    this.shared = leaseOf(options.group ?? MemoryLeaderGroup.shared, this.name);
  }

  /** Takes the lease when it is free or has lapsed by the clock, with the group's next term. */
  protected async elect(): Promise<number | null> {
    const now = this.clock.now();
    const lease = this.shared;
    if (lease.holder !== null && now < lease.expiresAt) return null;
    lease.term++;
    lease.holder = this;
    lease.holderId = this.instanceId;
    lease.expiresAt = now + this.ttlMs;
    return lease.term;
  }

  /** Extends the lease while it is still this instance's leadership `term`. */
  protected async reelect(term: number): Promise<number | null> {
    const now = this.clock.now();
    const lease = this.shared;
    if (lease.holder !== this || lease.term !== term || now >= lease.expiresAt) return null;
    lease.expiresAt = now + this.ttlMs;
    return term;
  }

  /** Frees the lease if this instance holds it. */
  protected async resign(): Promise<void> {
    const lease = this.shared;
    if (lease.holder !== this) return;
    lease.holder = null;
    lease.holderId = null;
    lease.expiresAt = 0;
  }

  /** Nothing to end: the group lives in this process. */
  protected async closeConnection(): Promise<void> {}
}
