/**
 * Merging work across queues. Each queue lives in its own Cluster slot, so a script sees one
 * queue; a call about several queues runs per queue and is merged here, in the order the store
 * contract asks for.
 */

/** Orders ids as the scripts do (by UTF-16 code unit; the same as bytewise for ASCII ids). */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The claim order of docs/architecture.md §2: priority desc, then scheduledAt asc, then id asc. */
export function claimOrder(
  a: { priority: number; scheduledAt: number; id: string },
  b: { priority: number; scheduledAt: number; id: string },
): number {
  return b.priority - a.priority || a.scheduledAt - b.scheduledAt || compareIds(a.id, b.id);
}

/** Groups items by a key, keeping their order within each group. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * How many jobs to claim from each queue, given each queue's peek (`peekDueJobs.lua`: id,
 * priority, scheduledAt triples in claim order): as many as the queue contributes to the first
 * `limit` of the merged order.
 */
export function claimShares(
  queues: readonly string[],
  peeks: ReadonlyArray<readonly string[]>,
  limit: number,
): Array<[string, number]> {
  const candidates: Array<{ queue: string; id: string; priority: number; scheduledAt: number }> = [];
  peeks.forEach((peek, q) => {
    for (let i = 0; i < peek.length; i += 3) {
      candidates.push({
        queue: queues[q] as string,
        id: peek[i] as string,
        priority: Number(peek[i + 1]),
        scheduledAt: Number(peek[i + 2]),
      });
    }
  });
  candidates.sort(claimOrder);
  const counts = new Map<string, number>();
  for (const candidate of candidates.slice(0, limit)) {
    counts.set(candidate.queue, (counts.get(candidate.queue) ?? 0) + 1);
  }
  return [...counts];
}

/** A running job whose lease expired, found by a scan of a queue's `running` zset. */
export interface ExpiredLease {
  queue: string;
  id: string;
  lockedUntil: number;
}

/**
 * The expired leases to recover, longest expired first, at most `limit`, from each queue's
 * `ZRANGEBYSCORE running -inf now WITHSCORES LIMIT 0 limit` reply.
 */
export function oldestExpired(
  queues: readonly string[],
  scans: ReadonlyArray<readonly string[]>,
  limit: number,
): ExpiredLease[] {
  const expired: ExpiredLease[] = [];
  scans.forEach((entries, q) => {
    for (let i = 0; i < entries.length; i += 2) {
      expired.push({
        queue: queues[q] as string,
        id: entries[i] as string,
        lockedUntil: Number(entries[i + 1]),
      });
    }
  });
  // Longest expired first, so that a small limit still makes progress on the oldest.
  expired.sort((a, b) => a.lockedUntil - b.lockedUntil || compareIds(a.id, b.id));
  return expired.slice(0, limit);
}
