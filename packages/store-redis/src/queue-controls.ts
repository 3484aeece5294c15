import type { DedupeOptions, QueuePatch, QueueRecord, RateLimit } from "@sched/core/adapter";

/**
 * The field, value pairs of a queue's `control` hash that a {@link QueuePatch} writes (see
 * `scripts/updateQueue.lua`; `""` deletes a field). Fields absent from the patch are left out.
 */
export function encodeQueuePatch(patch: QueuePatch): string[] {
  const pairs: string[] = [];
  const optional = (value: number | null | undefined): string => (value == null ? "" : String(value));
  const rate = (limit: RateLimit | null): [string, string] =>
    limit === null ? ["", ""] : [String(limit.max), String(limit.per)];
  if (patch.paused !== undefined) pairs.push("paused", patch.paused ? "1" : "0");
  if (patch.concurrency !== undefined) pairs.push("concurrency", optional(patch.concurrency));
  if (patch.rateLimit !== undefined) {
    const [max, per] = rate(patch.rateLimit);
    pairs.push("rateMax", max, "ratePer", per);
  }
  // Lifts the queue's push-back; updateQueue.lua also empties GLIMITED, the groups' push-backs.
  if (patch.limitedUntil === null) pairs.push("limitedUntil", "");
  if (patch.group !== undefined) {
    const group = patch.group;
    const [max, per] = rate(group?.rateLimit ?? null);
    pairs.push(
      "group",
      group === null ? "" : "1",
      "groupConcurrency",
      optional(group?.concurrency),
      "groupRateMax",
      max,
      "groupRatePer",
      per,
    );
  }
  return pairs;
}

/** Reads a field, value list (an `HGETALL` reply inside a script's reply) as an object. */
export function pairsToHash(pairs: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[pairs[i] as string] = pairs[i + 1] as string;
  return hash;
}

const numberOrNull = (value: string | undefined): number | null =>
  value === undefined || value === "" ? null : Number(value);

const rateOrNull = (max: string | undefined, per: string | undefined): RateLimit | null => {
  const maxN = numberOrNull(max);
  const perN = numberOrNull(per);
  return maxN === null || perN === null ? null : { max: maxN, per: perN };
};

/**
 * Builds a {@link QueueRecord} from a queue's `control` hash, or `null` when the queue has no
 * stored controls (no hash, or one that only holds claim bookkeeping: a queue with grouped jobs
 * that nobody configured).
 */
export function decodeQueueRecord(name: string, hash: Record<string, string>): QueueRecord | null {
  if (hash.configured !== "1") return null;
  const limitedUntil = numberOrNull(hash.limitedUntil);
  return {
    name,
    paused: hash.paused === "1",
    concurrency: numberOrNull(hash.concurrency),
    rateLimit: rateOrNull(hash.rateMax, hash.ratePer),
    group:
      hash.group === "1"
        ? {
            concurrency: numberOrNull(hash.groupConcurrency),
            rateLimit: rateOrNull(hash.groupRateMax, hash.groupRatePer),
          }
        : null,
    limitedUntil: limitedUntil === null || limitedUntil <= 0 ? null : new Date(limitedUntil),
    updatedAt: new Date(Number(hash.updatedAt ?? 0)),
  };
}

/** The script arguments of a deduplication window (`scripts/createDedupedJob.lua`), after `now`. */
export function encodeDedupe(dedupe: DedupeOptions): string[] {
  return [dedupe.mode, dedupe.key, String(dedupe.ttl), dedupe.maxWait === null ? "" : String(dedupe.maxWait)];
}
