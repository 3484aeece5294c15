import { randomUUID } from "node:crypto";
import type { Collection } from "mongodb";
import { type QueueDocument, queueDocumentId } from "./control-documents.js";

/**
 * How long (ms of the claimers' clock) a claim lock holds without being released. A claimer that
 * crashed while holding it blocks its queue's controlled claims this long at most.
 */
export const CLAIM_LOCK_TTL_MS = 5_000;

/** How long (real ms) a claimer waits for a busy lock before it gives up on the queue for this call. */
export const CLAIM_LOCK_WAIT_MS = 2_000;

/** A claim lock this caller holds. */
export interface HeldClaimLock {
  /** The holder token written into the control document. */
  readonly token: string;
  /** The queue's control document as it was when the lock was taken. */
  readonly queue: QueueDocument;
}

/**
 * The claim lock of a controlled queue: a short mutex kept in the queue's control document, taken
 * by a conditional `findOneAndUpdate` (`claimLockUntil` empty or past) that writes a holder token
 * unique to this taking. Every controlled claim and every push-back of the queue runs under it, so
 * that counting running jobs and window claims, choosing jobs and counting the new claims are not
 * interleaved with another claimer's, without multi-document transactions.
 *
 * What it cannot promise: a holder that stalls (a long pause, a slow network) past its time to
 * live loses the lock to the next claimer without knowing it. Its writes to the control and group
 * documents are conditional on its token and are dropped, but a job claim already sent (each one a
 * conditional update on the job alone) still lands: such a stalled claimer can start more jobs
 * than a concurrency or rate limit allows, at most the jobs it had chosen. No job is ever handed
 * to two claimers: that is kept by the job's own conditional update, lock or not.
 */
export class ClaimLock {
  constructor(
    private readonly queues: Collection<QueueDocument>,
    private readonly maxTime: () => { maxTimeMS?: number },
  ) {}

  /**
   * Takes the lock of `queue`, retrying while another holder has it, for at most
   * {@link CLAIM_LOCK_WAIT_MS}. Returns the held lock with the control document, or `null` when
   * the queue has no control document or the lock stayed busy.
   *
   * @throws what the driver throws.
   */
  async acquire(queue: string, now: Date): Promise<HeldClaimLock | null> {
    const _id = queueDocumentId(queue);
    const token = randomUUID();
    const started = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      const taken = await this.queues.findOneAndUpdate(
        { _id, $or: [{ claimLockUntil: null }, { claimLockUntil: { $lte: now } }] },
        { $set: { claimLockUntil: new Date(now.getTime() + CLAIM_LOCK_TTL_MS), claimHolder: token } },
        { returnDocument: "after", ...this.maxTime() },
      );
      if (taken !== null) return { token, queue: taken };
      if (attempt === 0 && (await this.queues.countDocuments({ _id }, this.maxTime())) === 0) return null;
      if (Date.now() - started >= CLAIM_LOCK_WAIT_MS) return null;
      await pause(Math.min(1 + attempt * 2, 20));
    }
  }

  /**
   * Releases a held lock (only if this taking still holds it: a lock taken over after its expiry
   * is left to its new holder).
   *
   * @throws what the driver throws.
   */
  async release(queue: string, lock: HeldClaimLock): Promise<void> {
    await this.queues.updateOne(
      { _id: queueDocumentId(queue), claimHolder: lock.token },
      { $set: { claimLockUntil: null, claimHolder: null } },
      this.maxTime(),
    );
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
