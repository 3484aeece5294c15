/** The lease of one leadership name, as a {@link MemoryLeaderGroup} holds it. @internal */
export interface MemoryLease {
  /** The object holding the lease (identity, not instance id, so that two leaders with the same id cannot share it). */
  holder: object | null;
  /** The holder's instance id, for inspection. */
  holderId: string | null;
  /** Epoch ms at which the lease lapses unless renewed. */
  expiresAt: number;
  /** The term of the current or last leadership; each new leadership increments it. */
  term: number;
}

/**
 * The shared state that `MemoryLeader`s compete over: one lease per leadership name. Leaders
 * in the same group and with the same `name` elect one leader among themselves; give each test
 * its own group (or name) to keep tests apart.
 */
export class MemoryLeaderGroup {
  /** The process-wide group used by leaders created without a `group`. */
  static readonly shared = new MemoryLeaderGroup();

  /** The instance id holding `name`'s lease as of `now` (epoch ms), or `null` when it is free. */
  holderOf(name: string, now: number): string | null {
    const lease = leasesOf(this).get(name);
    if (lease === undefined || lease.holder === null || now >= lease.expiresAt) return null;
    return lease.holderId;
  }

  /** The term of the current or last leadership of `name` (0 before the first). */
  termOf(name: string): number {
    return leasesOf(this).get(name)?.term ?? 0;
  }
}

// Kept outside the class so that only MemoryLeader (through `leaseOf`) can change a lease.
const leasesByGroup = new WeakMap<MemoryLeaderGroup, Map<string, MemoryLease>>();

function leasesOf(group: MemoryLeaderGroup): Map<string, MemoryLease> {
  let leases = leasesByGroup.get(group);
  if (leases === undefined) {
    leases = new Map();
    leasesByGroup.set(group, leases);
  }
  return leases;
}

/** The lease of `name` in `group`, created free with term 0 on first use. @internal */
export function leaseOf(group: MemoryLeaderGroup, name: string): MemoryLease {
  const leases = leasesOf(group);
  let lease = leases.get(name);
  if (lease === undefined) {
    lease = { holder: null, holderId: null, expiresAt: 0, term: 0 };
    leases.set(name, lease);
  }
  return lease;
}
