import type { Stats } from "@sched/core/adapter";
import { type AnyBulkWriteOperation, type ClientSession, type Collection, ObjectId } from "mongodb";
import { bulkUpsert } from "../upserts.js";
import {
  COUNTED_STATUSES,
  type CountChanges,
  type CountDeltaDocument,
  type CountsDocument,
  countsOf,
  queueCountsId,
  type StatusCounts,
  zeroCounts,
} from "./count-documents.js";

/**
 * The job counts kept in `<prefix>counts`, which `stats()` reads instead of counting jobs.
 *
 * Every store call that changes which status a job is in (or creates or deletes jobs) records
 * the changes the server reported as applied in a {@link CountChanges} and writes them right
 * after the job write: one `$inc` upsert per queue, in one unordered `bulkWrite`. Without a
 * transaction the two are separate writes, so a process that stops between them (or a count
 * write that fails) leaves the queue's counts off by that change; `cleanup` recounts and corrects
 * them (see `recount.ts`). Inside an application transaction the changes are inserted as delta
 * documents of that transaction instead, so they commit or roll back with the jobs.
 */
export class JobCounts {
  constructor(
    readonly collection: Collection<CountsDocument>,
    private readonly maxTime: () => { maxTimeMS?: number },
    private readonly onWriteError: (err: unknown) => void,
  ) {}

  /**
   * Adds `changes` to the kept counts and clears them. Never throws: a failed count write is
   * reported to `onWriteError` (the job write it follows stands, and a recount corrects the count).
   */
  async write(changes: CountChanges): Promise<void> {
    const entries = changes.entries();
    changes.clear();
    if (entries.length === 0) return;
    try {
      await this.increment(entries);
    } catch (err) {
      this.onWriteError(err);
    }
  }

  /**
   * Inserts `changes` as delta documents inside the transaction of `session`, and clears them.
   *
   * @throws what the driver throws (the transaction is then the application's to abort).
   */
  async writeInTransaction(changes: CountChanges, session: ClientSession): Promise<void> {
    const deltas: CountDeltaDocument[] = changes
      .entries()
      .map(([queue, counts]) => ({ _id: new ObjectId(), kind: "delta", queue, ...counts }));
    changes.clear();
    if (deltas.length > 0) await this.collection.insertMany(deltas, { session, ordered: true });
  }

  /**
   * The kept counts, by queue and overall, or `null` while they are not trusted (see
   * `CountStateDocument`). A count below zero (a job's change counted by one instance before
   * another counted the change that brought it there) reads as zero; queues whose counts are all
   * zero are left out.
   *
   * @throws what the driver throws.
   */
  async read(): Promise<Stats | null> {
    const documents = await this.collection.find({}, this.maxTime()).toArray();
    const state = documents.find((document) => document.kind === "state");
    if (state?.kind !== "state" || !state.trusted) return null;
    const folded = new Set<string>();
    for (const document of documents)
      if (document.kind === "queue") for (const id of document.folded ?? []) folded.add(id.toHexString());
    const byQueue = new Map<string, StatusCounts>();
    for (const document of documents) {
      if (document.kind === "state") continue;
      if (document.kind === "delta" && folded.has(document._id.toHexString())) continue;
      const counts = byQueue.get(document.queue) ?? zeroCounts();
      const add = countsOf(document);
      for (const status of COUNTED_STATUSES) counts[status] += add[status];
      byQueue.set(document.queue, counts);
    }
    return statsOf(byQueue);
  }

  private async increment(entries: [string, Partial<StatusCounts>][]): Promise<void> {
    const operations: AnyBulkWriteOperation<CountsDocument>[] = entries.map(([queue, counts]) => ({
      updateOne: {
        filter: { _id: queueCountsId(queue) },
        update: { $inc: { ...counts, version: 1 }, $setOnInsert: { kind: "queue", queue } },
        upsert: true,
      },
    }));
    await bulkUpsert(this.collection, operations, () => this.maxTime());
  }
}

/**
 * The `Stats` of per-queue counts: each below zero read as zero, queues all zero left out, the
 * overall counts the sums of the queues'.
 */
export function statsOf(byQueue: ReadonlyMap<string, StatusCounts>): Stats {
  const stats: Stats = { ...zeroCounts(), byQueue: {} };
  const shown = stats.byQueue as NonNullable<Stats["byQueue"]>;
  for (const [queue, counts] of byQueue) {
    const clamped = zeroCounts();
    for (const status of COUNTED_STATUSES) clamped[status] = Math.max(0, counts[status]);
    if (COUNTED_STATUSES.every((status) => clamped[status] === 0)) continue;
    shown[queue] = clamped;
    for (const status of COUNTED_STATUSES) stats[status] += clamped[status];
  }
  return stats;
}
