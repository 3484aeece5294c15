import { createHash } from "node:crypto";
import { ObjectId } from "mongodb";

/**
 * A lease document, one per leadership name, in the collection `<prefix>leases`:
 *
 * - `_id`: an ObjectId derived from the name ({@link leaseId}), so that the server's unique `_id`
 *   index is the one that keeps a name to a single document; no other index is needed;
 * - `name`: the leadership's name, for people reading the collection;
 * - `holder`: the instance id of the leadership, `null` once released;
 * - `term`: the fencing term, raised by 1 for each new leadership and never lowered (a release
 *   keeps it, so the document must not be deleted to free a lease);
 * - `renewedAt`: when the lease was last taken or renewed, by the server's clock (`$currentDate`);
 * - `ttlMs`: how long it lasts from `renewedAt`; 0 once released.
 *
 * The lease has expired when `renewedAt + ttlMs <= $$NOW`, evaluated by the server: the clocks of
 * the instances never take part.
 */
export interface LeaseDocument {
  _id: ObjectId;
  name: string;
  holder: string | null;
  term: number;
  renewedAt: Date;
  ttlMs: number;
}

/**
 * The `_id` of the lease document of leadership `name`: the first 12 bytes of
 * SHA-256(`"sched-lease:" + name`). Deterministic, so every instance addresses the same document
 * and two that create it at once collide on `_id` (duplicate key) instead of making two.
 */
export function leaseId(name: string): ObjectId {
  return new ObjectId(createHash("sha256").update(`sched-lease:${name}`).digest().subarray(0, 12));
}

/** The lease has expired by the server's clock. */
const EXPIRED = { $expr: { $lte: [{ $add: ["$renewedAt", "$ttlMs"] }, "$$NOW"] } };

/**
 * The filter of an election by `holder`: the lease document of `id` when it is free (released),
 * expired by the server's clock, or still holds this instance's leadership `grantedTerm`.
 */
export function electionFilter(id: ObjectId, holder: string, grantedTerm: number | null): object {
  const takeable: object[] = [{ holder: null }, EXPIRED];
  if (grantedTerm !== null) takeable.unshift({ holder, term: grantedTerm });
  return { _id: id, $or: takeable };
}

/** The update of an election: a new leadership of `holder` with the term raised by 1. */
export function electionUpdate(name: string, holder: string, ttlMs: number): object {
  return { $set: { name, holder, ttlMs }, $inc: { term: 1 }, $currentDate: { renewedAt: true } };
}

/** The filter of a renewal: the lease still holds `holder`'s leadership `term`. */
export function renewalFilter(id: ObjectId, holder: string, term: number): object {
  return { _id: id, holder, term };
}

/** The update of a renewal: another `ttlMs` from now by the server's clock; the term is kept. */
export function renewalUpdate(ttlMs: number): object {
  return { $set: { ttlMs }, $currentDate: { renewedAt: true } };
}

/**
 * A free lease for a name that has no document yet, inserted before an election takes it. Its term
 * is the last one this instance was granted (0 if none), so that a document deleted by hand is
 * recreated above the terms this instance has seen.
 */
export function freeLease(id: ObjectId, name: string, grantedTerm: number | null): LeaseDocument {
  return { _id: id, name, holder: null, term: grantedTerm ?? 0, renewedAt: new Date(0), ttlMs: 0 };
}

/** The filter and update of a release: frees the lease if `holder` holds it; the term is kept. */
export function release(id: ObjectId, holder: string): { filter: object; update: object } {
  return { filter: { _id: id, holder }, update: { $set: { holder: null, ttlMs: 0 } } };
}
