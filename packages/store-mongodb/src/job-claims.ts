import { randomUUID } from "node:crypto";
import type { ClaimOptions } from "@sched/core/adapter";
import type { Filter, ObjectId } from "mongodb";
import { type JobDocument, WAITING_STATUSES } from "./documents.js";
import type { JobAccess } from "./job-inserts.js";

/** A due job chosen for a claim, as read: taken only if it is still waiting at that attempt. */
export interface ClaimCandidate {
  _id: ObjectId;
  id: string;
  attempt: number;
}

/** The claim order: highest priority first, then earliest run time, then smallest id. */
export const CLAIM_ORDER = { priority: -1, scheduledAt: 1, id: 1 } as const;

/**
 * Takes `candidates` for `options.workerId` in one `bulkWrite` of conditional updates (still
 * waiting, same attempt), so a job another claimer took first is left out. Each update writes a
 * token of this call (`fence`); the jobs carrying it afterwards are the ones taken. Returns them
 * in the candidates' order.
 *
 * @throws what the driver throws.
 */
export async function takeCandidates(
  access: JobAccess,
  candidates: readonly ClaimCandidate[],
  options: Pick<ClaimOptions, "now" | "lockedUntil" | "workerId">,
): Promise<JobDocument[]> {
  if (candidates.length === 0) return [];
  const { now, lockedUntil, workerId } = options;
  const fence = randomUUID();
  await access.jobs.bulkWrite(
    candidates.map((candidate) => ({
      updateOne: {
        filter: { _id: candidate._id, status: { $in: [...WAITING_STATUSES] }, attempt: candidate.attempt },
        update: {
          $set: { status: "running", startedAt: now, lockedUntil, lockedBy: workerId, fence },
          $inc: { attempt: 1 },
        },
      },
    })),
    { ordered: true, ...access.maxTime() },
  );
  const won = await access.jobs
    .find({ _id: { $in: candidates.map((candidate) => candidate._id) }, fence }, access.maxTime())
    .toArray();
  const byId = new Map(won.map((document) => [document.id, document]));
  return candidates.flatMap((candidate) => {
    const document = byId.get(candidate.id);
    return document === undefined ? [] : [document];
  });
}

/**
 * The plain claim (queues without controls and without grouped jobs): the next due jobs of
 * `due` are read in claim order and taken by {@link takeCandidates}; those another claimer took
 * first are passed over, and the claim reads again until it has `limit` jobs or none are due.
 *
 * @throws what the driver throws.
 */
export async function claimPlainJobs(
  access: JobAccess,
  due: Filter<JobDocument>,
  limit: number,
  options: Pick<ClaimOptions, "now" | "lockedUntil" | "workerId">,
): Promise<JobDocument[]> {
  const claimed: JobDocument[] = [];
  const passedOver = new Set<string>();
  while (claimed.length < limit) {
    const want = limit - claimed.length;
    const candidates = await access.jobs
      .find(passedOver.size === 0 ? due : { ...due, id: { $nin: [...passedOver] } }, {
        projection: { _id: 1, id: 1, attempt: 1 },
        ...access.maxTime(),
      })
      .sort(CLAIM_ORDER)
      .limit(want)
      .toArray();
    if (candidates.length === 0) break;
    const won = await takeCandidates(access, candidates, options);
    const wonIds = new Set(won.map((document) => document.id));
    claimed.push(...won);
    for (const candidate of candidates) if (!wonIds.has(candidate.id)) passedOver.add(candidate.id);
    if (candidates.length < want && won.length === candidates.length) break;
  }
  return claimed;
}

/**
 * How many of the first `limit` jobs matching `due`, in claim order, each queue holds: the share
 * of a claim over several queues that each one gives (see `Store.claimDueJobs`). Reads the jobs'
 * queues only, without taking them.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function claimShares(
  access: JobAccess,
  due: Filter<JobDocument>,
  limit: number,
): Promise<Map<string, number>> {
  const heads = await access.jobs
    .find(due, { projection: { _id: 0, queue: 1 }, ...access.maxTime() })
    .sort(CLAIM_ORDER)
    .limit(limit)
    .toArray();
  const shares = new Map<string, number>();
  for (const head of heads) shares.set(head.queue, (shares.get(head.queue) ?? 0) + 1);
  return shares;
}
