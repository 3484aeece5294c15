import type { ClaimOptions } from "@sched/core/adapter";
import type { AnyBulkWriteOperation, Collection, Filter } from "mongodb";
import type { JobDocument } from "../documents.js";
import { waitingFilter } from "../inspection.js";
import { CLAIM_ORDER, type ClaimCandidate, takeCandidates } from "../job-claims.js";
import type { JobAccess } from "../job-inserts.js";
import type { ClaimLock } from "./claim-lock.js";
import {
  claimsInWindow,
  type GroupDocument,
  groupDocumentId,
  type QueueDocument,
  queueDocumentId,
  windowOf,
} from "./control-documents.js";

/** What a controlled claim reads and writes. */
export interface ControlledClaimAccess extends JobAccess {
  readonly queues: Collection<QueueDocument>;
  readonly groups: Collection<GroupDocument>;
  readonly lock: ClaimLock;
}

/** A job chosen by the rotation, with its group. */
interface RoundPick {
  job: ClaimCandidate;
  group: GroupCandidate;
}

/** A group with due jobs, as a claim sees it. */
interface GroupCandidate {
  group: string | null;
  lastServed: number;
  head: ClaimCandidate & { priority: number; scheduledAt: Date };
  /** The most jobs this claim may take from it (its due jobs and its limits). */
  room: number;
  /** The jobs this claim takes from it. */
  take: number;
  /** Its stored rotation and limit state, when it has one. */
  state: GroupDocument | undefined;
}

/**
 * Claims up to `want` jobs of one controlled queue (see `Store.claimDueJobs`), under the queue's
 * claim lock (see `claim-lock.ts`):
 *
 * 1. the control document read with the lock gives pause, push-back, limits and window counters;
 *    running jobs are counted per group in the jobs collection (exact: no counter to drift);
 * 2. the due jobs are grouped by group key (head job and count per group, one aggregation), the
 *    groups ordered by `lastServed` (0, never, first), ties by their head job's claim order, and
 *    jobs taken in rounds of one per group within every limit;
 * 3. the claims are counted first (window counters, `served`, each group's `lastServed`), then
 *    the jobs are taken by conditional updates, then the counts of jobs another claimer took
 *    first (a cancel, a plain claimer that had not seen the queue become controlled) are given
 *    back. A crash between the count and the take leaves the window counting claims that did not
 *    happen: it can only hold back jobs until the window ends, never let more through.
 *
 * Returns the jobs taken, in the order of the rounds.
 *
 * @throws what the driver throws.
 */
export async function claimControlledQueue(
  access: ControlledClaimAccess,
  queue: string,
  names: readonly string[] | null,
  want: number,
  options: Pick<ClaimOptions, "now" | "lockedUntil" | "workerId">,
): Promise<JobDocument[]> {
  if (want <= 0) return [];
  const { now } = options;
  const lock = await access.lock.acquire(queue, now);
  if (lock === null) return [];
  try {
    const control = lock.queue;
    if (control.paused || (control.limitedUntil !== null && control.limitedUntil > now)) return [];
    const running = await runningByGroup(access, queue, control);
    let budget = want;
    if (control.concurrency !== null) budget = Math.min(budget, control.concurrency - running.total);
    if (control.rateLimit !== null)
      budget = Math.min(budget, control.rateLimit.max - claimsInWindow(control, now, control.rateLimit.per));
    if (budget <= 0) return [];

    const due = waitingFilter([queue], names, now);
    const groups = await groupCandidates(access, queue, due, control, running.byGroup, now);
    const picks = await pickInRounds(access, due, groups, budget);
    if (picks.length === 0) return [];

    const reserved = await countClaims(access, queue, control, lock.token, picks, now);
    if (!reserved) return [];
    const taken = await takeCandidates(
      access,
      picks.map((pick) => pick.job),
      options,
    );
    if (taken.length < picks.length)
      await giveBackCounts(access, queue, control, lock.token, picks, taken, now);
    return taken;
  } finally {
    await access.lock.release(queue, lock);
  }
}

async function runningByGroup(
  access: ControlledClaimAccess,
  queue: string,
  control: QueueDocument,
): Promise<{ total: number; byGroup: Map<string | null, number> }> {
  const byGroup = new Map<string | null, number>();
  if (control.concurrency === null && (control.group?.concurrency ?? null) === null)
    return { total: 0, byGroup };
  const counts = await access.jobs
    .aggregate<{ _id: string | null; n: number }>(
      [{ $match: { status: "running", queue } }, { $group: { _id: "$group", n: { $sum: 1 } } }],
      access.maxTime(),
    )
    .toArray();
  let total = 0;
  for (const { _id, n } of counts) {
    byGroup.set(_id ?? null, n);
    total += n;
  }
  return { total, byGroup };
}

async function groupCandidates(
  access: ControlledClaimAccess,
  queue: string,
  due: Filter<JobDocument>,
  control: QueueDocument,
  running: Map<string | null, number>,
  now: Date,
): Promise<GroupCandidate[]> {
  const heads = await access.jobs
    .aggregate<{
      _id: string | null;
      headDocument: ClaimCandidate["_id"];
      headId: string;
      headAttempt: number;
      headPriority: number;
      headAt: Date;
      count: number;
    }>(
      [
        { $match: due },
        { $sort: CLAIM_ORDER },
        {
          $group: {
            _id: "$group",
            headDocument: { $first: "$_id" },
            headId: { $first: "$id" },
            headAttempt: { $first: "$attempt" },
            headPriority: { $first: "$priority" },
            headAt: { $first: "$scheduledAt" },
            count: { $sum: 1 },
          },
        },
      ],
      access.maxTime(),
    )
    .toArray();
  if (heads.length === 0) return [];
  const states = new Map<string | null, GroupDocument>();
  for (const state of await access.groups.find({ queue }, access.maxTime()).toArray())
    states.set(state.group ?? null, state);
  const limits = control.group;
  const groups: GroupCandidate[] = [];
  for (const head of heads) {
    const group = head._id ?? null;
    const state = states.get(group);
    let room = head.count;
    if (group !== null) {
      if (state?.limitedUntil != null && state.limitedUntil > now) continue;
      if (limits?.concurrency != null) room = Math.min(room, limits.concurrency - (running.get(group) ?? 0));
      if (limits?.rateLimit != null)
        room = Math.min(
          room,
          limits.rateLimit.max -
            claimsInWindow(state ?? { windowStart: 0, windowCount: 0 }, now, limits.rateLimit.per),
        );
    }
    if (room <= 0) continue;
    groups.push({
      group,
      lastServed: state?.lastServed ?? 0,
      head: {
        _id: head.headDocument,
        id: head.headId,
        attempt: head.headAttempt,
        priority: head.headPriority,
        scheduledAt: head.headAt,
      },
      room,
      take: 0,
      state,
    });
  }
  return groups.sort(rotationOrder);
}

/** Least recently served first (never served: 0), ties by the claim order of the group's head job. */
function rotationOrder(a: GroupCandidate, b: GroupCandidate): number {
  if (a.lastServed !== b.lastServed) return a.lastServed - b.lastServed;
  if (a.head.priority !== b.head.priority) return b.head.priority - a.head.priority;
  const at = a.head.scheduledAt.getTime() - b.head.scheduledAt.getTime();
  if (at !== 0) return at;
  return a.head.id < b.head.id ? -1 : a.head.id > b.head.id ? 1 : 0;
}

/**
 * Shares `budget` between the groups in rounds of one job per group, in rotation order, and reads
 * the jobs each group gives (its head, or its first `take` due jobs in claim order). Sets each
 * group's `take`; returns the jobs in the order the rounds take them.
 */
async function pickInRounds(
  access: ControlledClaimAccess,
  due: Filter<JobDocument>,
  groups: GroupCandidate[],
  budget: number,
): Promise<RoundPick[]> {
  let left = budget;
  for (let progress = true; left > 0 && progress; ) {
    progress = false;
    for (const group of groups) {
      if (left === 0) break;
      if (group.take >= group.room) continue;
      group.take += 1;
      left -= 1;
      progress = true;
    }
  }
  const jobsOf = new Map<GroupCandidate, ClaimCandidate[]>();
  for (const group of groups) {
    if (group.take === 0) continue;
    if (group.take === 1) {
      jobsOf.set(group, [group.head]);
      continue;
    }
    const jobs = await access.jobs
      .find(
        { ...due, group: group.group },
        { projection: { _id: 1, id: 1, attempt: 1 }, ...access.maxTime() },
      )
      .sort(CLAIM_ORDER)
      .limit(group.take)
      .toArray();
    jobsOf.set(group, jobs);
  }
  const picks: RoundPick[] = [];
  const rounds = Math.max(0, ...groups.map((group) => group.take));
  for (let round = 0; round < rounds; round += 1)
    for (const group of groups) {
      const job = jobsOf.get(group)?.[round];
      if (job !== undefined && round < group.take)
        picks.push({ job: { _id: job._id, id: job.id, attempt: job.attempt }, group });
    }
  return picks;
}

/**
 * Counts the claims of `picks` before they are taken: the queue's window counter and `served`
 * (conditional on the lock token, so a claimer that lost its lock stops here), then each served
 * group's `lastServed` and window counter. Returns whether this caller still held the lock.
 */
async function countClaims(
  access: ControlledClaimAccess,
  queue: string,
  control: QueueDocument,
  token: string,
  picks: readonly RoundPick[],
  now: Date,
): Promise<boolean> {
  const queueChange: Partial<QueueDocument> = { served: control.served + picks.length };
  if (control.rateLimit !== null) {
    queueChange.windowStart = windowOf(control, now, control.rateLimit.per);
    queueChange.windowCount = claimsInWindow(control, now, control.rateLimit.per) + picks.length;
  }
  const result = await access.queues.updateOne(
    { _id: queueDocumentId(queue), claimHolder: token },
    { $set: queueChange },
    access.maxTime(),
  );
  if (result.matchedCount !== 1) return false;

  const groupRate = control.group?.rateLimit ?? null;
  // Each job gets the next value of the rotation's clock; a group keeps the value of its last job.
  const lastServed = new Map<GroupCandidate, number>();
  const takes = new Map<GroupCandidate, number>();
  picks.forEach((pick, index) => {
    lastServed.set(pick.group, control.served + index + 1);
    takes.set(pick.group, (takes.get(pick.group) ?? 0) + 1);
  });
  const writes: AnyBulkWriteOperation<GroupDocument>[] = [];
  for (const [group, served] of lastServed) {
    const set: Partial<GroupDocument> = { lastServed: served };
    const onInsert: Partial<GroupDocument> = { queue, group: group.group, limitedUntil: null };
    if (groupRate !== null && group.group !== null) {
      const state = group.state ?? { windowStart: 0, windowCount: 0 };
      set.windowStart = windowOf(state, now, groupRate.per);
      set.windowCount = claimsInWindow(state, now, groupRate.per) + (takes.get(group) ?? 0);
    } else {
      onInsert.windowStart = 0;
      onInsert.windowCount = 0;
    }
    writes.push({
      updateOne: {
        filter: { _id: groupDocumentId(queue, group.group) },
        update: { $set: set, $setOnInsert: onInsert },
        upsert: true,
      },
    });
  }
  if (writes.length > 0) await access.groups.bulkWrite(writes, { ordered: false, ...access.maxTime() });
  return true;
}

/** Gives back the window counts of picked jobs that another claimer (or a cancel) took first. */
async function giveBackCounts(
  access: ControlledClaimAccess,
  queue: string,
  control: QueueDocument,
  token: string,
  picks: readonly RoundPick[],
  taken: readonly JobDocument[],
  now: Date,
): Promise<void> {
  const lost = picks.length - taken.length;
  if (control.rateLimit !== null)
    await access.queues.updateOne(
      {
        _id: queueDocumentId(queue),
        claimHolder: token,
        windowStart: windowOf(control, now, control.rateLimit.per),
      },
      { $inc: { windowCount: -lost } },
      access.maxTime(),
    );
  const groupRate = control.group?.rateLimit ?? null;
  if (groupRate === null) return;
  const takenIds = new Set(taken.map((document) => document.id));
  for (const pick of picks) {
    if (takenIds.has(pick.job.id) || pick.group.group === null) continue;
    await access.groups.updateOne(
      {
        _id: groupDocumentId(queue, pick.group.group),
        windowStart: windowOf(pick.group.state ?? { windowStart: 0 }, now, groupRate.per),
      },
      { $inc: { windowCount: -1 } },
      access.maxTime(),
    );
  }
}
