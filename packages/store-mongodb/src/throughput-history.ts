import type { ThroughputQuery, ThroughputSample } from "@sched/core/adapter";
import type { AnyBulkWriteOperation, Collection, Filter, ObjectId } from "mongodb";
import { documentIdOf } from "./documents.js";
import { bulkUpsert } from "./upserts.js";

/** The counts of one queue in one minute; `_id` is derived from the minute and the queue. */
export interface ThroughputDocument {
  _id: ObjectId;
  queue: string;
  minute: Date;
  completed: number;
  failed: number;
}

/** The throughput collection, and the time limit each operation is sent with. */
export interface ThroughputAccess {
  readonly throughput: Collection<ThroughputDocument>;
  maxTime(): { maxTimeMS?: number };
}

/**
 * Adds the samples' counts to their minute's document (`$inc` on an upsert keyed by the derived
 * `_id`, one unordered `bulkWrite`), then deletes the minutes before `keepSince` (see
 * `Store.addThroughput`). Two instances adding to a new minute at once meet on the `_id` index:
 * the refused upserts are sent again, and find the document the other made.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function addThroughput(
  access: ThroughputAccess,
  samples: readonly ThroughputSample[],
  keepSince: Date,
): Promise<void> {
  const operations: AnyBulkWriteOperation<ThroughputDocument>[] = samples
    .filter((sample) => sample.completed !== 0 || sample.failed !== 0)
    .map((sample) => ({
      updateOne: {
        filter: { _id: documentIdOf(`throughput:${sample.minute.getTime()}:${sample.queue}`) },
        update: {
          $inc: { completed: sample.completed, failed: sample.failed },
          $setOnInsert: { queue: sample.queue, minute: sample.minute },
        },
        upsert: true,
      },
    }));
  await bulkUpsert(access.throughput, operations, () => access.maxTime());
  await access.throughput.deleteMany({ minute: { $lt: keepSince } }, access.maxTime());
}

/**
 * The samples of minutes in `[since, until)`, of one queue or all, by minute then queue (see
 * `Store.throughput`), read through the `throughput_minute` index.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function throughput(
  access: ThroughputAccess,
  query: ThroughputQuery,
): Promise<ThroughputSample[]> {
  const filter: Filter<ThroughputDocument> = {
    minute: { $gte: query.since, ...(query.until === undefined ? {} : { $lt: query.until }) },
  };
  if (query.queue !== null) filter.queue = query.queue;
  const documents = await access.throughput
    .find(filter, access.maxTime())
    .sort({ minute: 1, queue: 1 })
    .toArray();
  return documents.map((document) => ({
    queue: document.queue,
    minute: document.minute,
    completed: document.completed,
    failed: document.failed,
  }));
}
