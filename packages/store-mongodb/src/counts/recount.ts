import type { Collection, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "../connection/index.js";
import { type JobDocument, STAGED } from "../documents.js";
import {
  COUNT_STATE_ID,
  COUNTED_STATUSES,
  type CountDeltaDocument,
  type CountsDocument,
  countsOf,
  type QueueCountsDocument,
  queueCountsId,
  type StatusCounts,
  sameCounts,
  zeroCounts,
} from "./count-documents.js";

/** What a recount reads and writes. */
export interface RecountAccess {
  readonly jobs: Collection<JobDocument>;
  readonly counts: Collection<CountsDocument>;
  maxTime(): { maxTimeMS?: number };
}

/** What `MongoStore.recountJobs` (and the recount `cleanup` runs) did. */
export interface RecountResult {
  /**
   * The queues whose kept counts this recount compared with their jobs, found equal or rewrote:
   * each had not changed (neither its counts nor its jobs) since the previous recount.
   */
  verified: string[];
  /** The queues of `verified` whose kept counts differed from their jobs and were rewritten from them. */
  corrected: string[];
  /** Whether `stats()` reads the kept counts (`false`: it counts the jobs until every queue was verified once). */
  trusted: boolean;
}

/** How many delta documents one recount folds at most (the rest wait for the next one). */
const MAX_DELTAS_PER_RECOUNT = 1_000;

/** MongoDB's error code for an operation that ran past its `maxTimeMS`. */
const MAX_TIME_EXPIRED = 50;

/** A queue as one recount saw it: its counts' version, its jobs' counts, and when (monotonic ms). */
interface Observation {
  version: number | null;
  jobs: StatusCounts;
  at: number;
}

/**
 * Counts jobs by queue and status in the server, from the (`queue`, `status`) index keys (the
 * `$sort` lets the server walk `queue_status_created_order`; no stage needs another field), one
 * key per job: what `stats()` answers with while the kept counts are not trusted, and what a
 * recount compares them with. Staged jobs are left out. Only `queue` when given.
 *
 * @throws what the driver throws.
 */
export async function countJobs(
  access: RecountAccess,
  queue: string | null,
  maxTime: { maxTimeMS?: number } = access.maxTime(),
): Promise<Map<string, StatusCounts>> {
  const match = queue === null ? { status: { $ne: STAGED } } : { queue, status: { $ne: STAGED } };
  const rows = await access.jobs
    .aggregate<{ _id: { queue: string; status: string }; count: number }>(
      [
        { $match: match },
        { $sort: { queue: 1, status: 1 } },
        { $group: { _id: { queue: "$queue", status: "$status" }, count: { $sum: 1 } } },
      ],
      maxTime,
    )
    .toArray();
  const byQueue = new Map<string, StatusCounts>();
  for (const { _id, count } of rows) {
    if (!(COUNTED_STATUSES as readonly string[]).includes(_id.status)) continue;
    const counts = byQueue.get(_id.queue) ?? zeroCounts();
    counts[_id.status as keyof StatusCounts] += count;
    byQueue.set(_id.queue, counts);
  }
  return byQueue;
}

/**
 * Writes the store's count state when it has none: trusted when `fresh` (every job the store
 * will hold is counted from its insert), otherwise not until a recount verified every queue.
 * Any number of instances may run it at once: the first write wins. Returns whether the counts
 * are trusted.
 *
 * @throws what the driver throws.
 */
export async function ensureCountState(
  access: RecountAccess,
  fresh: () => Promise<boolean>,
): Promise<boolean> {
  const existing = await access.counts.findOne({ _id: COUNT_STATE_ID }, access.maxTime());
  if (existing?.kind === "state") return existing.trusted;
  const trusted = await fresh();
  try {
    await access.counts.updateOne(
      { _id: COUNT_STATE_ID },
      { $setOnInsert: { kind: "state", trusted } },
      { upsert: true, ...access.maxTime() },
    );
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  const state = await access.counts.findOne({ _id: COUNT_STATE_ID }, access.maxTime());
  return state?.kind === "state" && state.trusted;
}

/** Whether the jobs collection holds no document at all. */
export async function hasNoJobs(access: RecountAccess): Promise<boolean> {
  return (await access.jobs.findOne({}, { projection: { _id: 1 }, ...access.maxTime() })) === null;
}

/**
 * Keeps the counts of `<prefix>counts` equal to the jobs without a transaction: folds the delta
 * documents of committed application transactions into their queues' counts, then compares each
 * queue's kept counts with its jobs (counted from the index keys, {@link countJobs}) and rewrites
 * those that differ.
 *
 * A kept count only differs from the jobs when a process stopped between a job write and its
 * count write (or the count write failed). But a recount also sees writes in flight: a job
 * already changed whose count write has not landed yet. So a queue is rewritten only when two
 * recounts at least `settleMs` apart saw the same version of its counts (no count write between)
 * and the same counts of its jobs (no job write between), and the rewrite is conditional on that
 * version: a count write still in flight then would belong to a job write older than `settleMs`,
 * longer than any store call lasts (`settleMs` is twice the operation timeout). A queue whose jobs
 * change at every recount is not rewritten until it has a quiet moment between two recounts.
 *
 * The observations live in this object (one per store instance): the recounts `cleanup` runs on
 * the leader every `cleanupInterval` (1 minute by default) pair up.
 */
export class Recounter {
  private readonly observations = new Map<string, Observation>();
  /** Where the next recount starts in the sorted list of queues, so that a cut-short one moves on. */
  private rotation = 0;

  /**
   * @param settleMs the least time (ms) between the two recounts that agree on a queue.
   * @param clock monotonic milliseconds.
   */
  constructor(
    private readonly settleMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * One recount: the state (written untrusted when missing), the deltas, then the queues in turn
   * until `deadline` (monotonic ms; `null`: none). Each count of a queue's jobs is sent with the
   * time left as `maxTimeMS`; one that runs out ends the recount, and the next one starts there
   * (or, when it was the first of its recount, after it). Once a recount visited every queue and
   * all of them are verified, the state becomes trusted.
   *
   * @throws what the driver throws.
   */
  async recount(access: RecountAccess, deadline: number | null): Promise<RecountResult> {
    let trusted = await ensureCountState(access, async () => false);
    await foldDeltas(access, () => this.expired(deadline));
    const documents = new Map<string, QueueCountsDocument>();
    for (const document of await access.counts.find({ kind: "queue" }, access.maxTime()).toArray())
      if (document.kind === "queue") documents.set(document.queue, document);
    const listed = (await access.jobs.distinct("queue", {}, access.maxTime())) as string[];
    const queues = [...new Set([...listed, ...documents.keys()])].sort();
    for (const queue of this.observations.keys())
      if (!queues.includes(queue)) this.observations.delete(queue);

    const result: RecountResult = { verified: [], corrected: [], trusted };
    const start = queues.length === 0 ? 0 : this.rotation % queues.length;
    const turn = [...queues.slice(start), ...queues.slice(0, start)];
    let visited = 0;
    for (const queue of turn) {
      if (this.expired(deadline)) break;
      try {
        const outcome = await this.visit(access, queue, this.limit(access, deadline));
        if (outcome === "verified" || outcome === "corrected") result.verified.push(queue);
        if (outcome === "corrected") result.corrected.push(queue);
      } catch (err) {
        if ((err as { code?: unknown }).code !== MAX_TIME_EXPIRED) throw err;
        if (visited === 0) visited = 1;
        break;
      }
      visited += 1;
    }
    this.rotation = start + visited;

    if (!trusted && visited === queues.length) {
      const verified = new Set(result.verified);
      const after = await access.counts
        .find({ kind: "queue", verified: true }, { projection: { queue: 1 }, ...access.maxTime() })
        .toArray();
      for (const document of after) if (document.kind === "queue") verified.add(document.queue);
      if (queues.every((queue) => verified.has(queue))) {
        await access.counts.updateOne({ _id: COUNT_STATE_ID }, { $set: { trusted: true } }, access.maxTime());
        trusted = true;
      }
    }
    result.trusted = trusted;
    return result;
  }

  /** Compares one queue's kept counts with its jobs (see the class) and says what came of it. */
  private async visit(
    access: RecountAccess,
    queue: string,
    maxTime: { maxTimeMS?: number },
  ): Promise<"observed" | "settling" | "busy" | "verified" | "corrected"> {
    const _id = queueCountsId(queue);
    const found = await access.counts.findOne({ _id }, maxTime);
    const document = found?.kind === "queue" ? found : null;
    const delta = await access.counts.findOne(
      { kind: "delta", queue },
      { projection: { _id: 1 }, ...maxTime },
    );
    if (delta !== null) {
      // A transaction committed since the fold: its jobs and its delta are read at different times.
      this.observations.delete(queue);
      return "busy";
    }
    const version = document === null ? null : (document.version ?? 0);
    const jobs = (await countJobs(access, queue, maxTime)).get(queue) ?? zeroCounts();
    const now = this.clock();
    const seen = this.observations.get(queue);
    if (seen === undefined || seen.version !== version || !sameCounts(seen.jobs, jobs)) {
      this.observations.set(queue, { version, jobs, at: now });
      return "observed";
    }
    if (now - seen.at < this.settleMs) return "settling";
    // The next recount compares with this one (the counts as they are after it, when it rewrites them).
    this.observations.set(queue, { version, jobs, at: now });
    if (sameCounts(countsOf(document), jobs)) {
      if (document !== null && document.verified !== true)
        await access.counts.updateOne({ _id, version }, { $set: { verified: true } }, maxTime);
      return "verified";
    }
    if (document === null) {
      try {
        await access.counts.insertOne(
          { _id, kind: "queue", queue, ...jobs, version: 1, verified: true },
          maxTime,
        );
      } catch (err) {
        if (isDuplicateKeyError(err)) return "busy";
        throw err;
      }
      this.observations.set(queue, { version: 1, jobs, at: now });
      return "corrected";
    }
    const rewritten = await access.counts.updateOne(
      { _id, version },
      { $set: { ...jobs, verified: true }, $inc: { version: 1 } },
      maxTime,
    );
    if (rewritten.matchedCount !== 1) return "busy";
    this.observations.set(queue, { version: (version ?? 0) + 1, jobs, at: now });
    return "corrected";
  }

  private expired(deadline: number | null): boolean {
    return deadline !== null && this.clock() >= deadline;
  }

  /** The operation's time limit, cut to what is left before `deadline`. */
  private limit(access: RecountAccess, deadline: number | null): { maxTimeMS?: number } {
    const own = access.maxTime();
    if (deadline === null) return own;
    const left = Math.max(1, Math.floor(deadline - this.clock()));
    return { maxTimeMS: own.maxTimeMS === undefined ? left : Math.min(own.maxTimeMS, left) };
  }
}

/**
 * Adds the delta documents of committed transactions to their queues' counts and deletes them,
 * idempotently without a transaction: the `$inc` also pushes the delta's `_id` to the queue's
 * `folded` list, conditional on it not being there (so a second fold of the same delta adds
 * nothing), then the delta is deleted, then its `_id` pulled. `stats()` leaves out a delta whose
 * `_id` its queue lists. Ids left in a `folded` list by a process that stopped before the pull
 * are pulled once their delta is gone. Stops early when `expired()` says so.
 *
 * @throws what the driver throws.
 */
export async function foldDeltas(access: RecountAccess, expired: () => boolean): Promise<void> {
  const deltas = (await access.counts
    .find({ kind: "delta" }, access.maxTime())
    .limit(MAX_DELTAS_PER_RECOUNT)
    .toArray()) as CountDeltaDocument[];
  for (const delta of deltas) {
    if (expired()) return;
    const _id = queueCountsId(delta.queue);
    try {
      await access.counts.updateOne(
        { _id },
        { $setOnInsert: { kind: "queue", queue: delta.queue, version: 0 } },
        { upsert: true, ...access.maxTime() },
      );
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const changes: Partial<StatusCounts> = {};
    for (const status of COUNTED_STATUSES) if ((delta[status] ?? 0) !== 0) changes[status] = delta[status];
    await access.counts.updateOne(
      { _id, folded: { $ne: delta._id } },
      { $inc: { ...changes, version: 1 }, $push: { folded: delta._id } },
      access.maxTime(),
    );
    await access.counts.deleteOne({ _id: delta._id }, access.maxTime());
    await access.counts.updateOne({ _id }, { $pull: { folded: delta._id } }, access.maxTime());
  }
  const holders = await access.counts
    .find({ kind: "queue", folded: { $exists: true } }, { projection: { folded: 1 }, ...access.maxTime() })
    .toArray();
  for (const holder of holders) {
    const folded = holder.kind === "queue" ? (holder.folded ?? []) : [];
    if (folded.length === 0) continue;
    const present = await access.counts
      .find({ _id: { $in: folded } }, { projection: { _id: 1 }, ...access.maxTime() })
      .toArray();
    const kept = new Set(present.map((document) => document._id.toHexString()));
    const stale: ObjectId[] = folded.filter((id) => !kept.has(id.toHexString()));
    if (stale.length > 0)
      await access.counts.updateOne(
        { _id: holder._id },
        { $pull: { folded: { $in: stale } } },
        access.maxTime(),
      );
  }
}
