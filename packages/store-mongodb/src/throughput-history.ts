import type { ThroughputQuery, ThroughputSample } from "@sched/core/adapter";
import type { AnyBulkWriteOperation, Collection, Filter, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import { documentIdOf } from "./documents.js";

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

/** How many times a batch is sent again when a concurrent first upsert of a minute won the `_id`. */
const MAX_UPSERT_RETRIES = 3;

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
  let pending = samples.filter((sample) => sample.completed !== 0 || sample.failed !== 0);
  for (let tries = 0; pending.length > 0; tries += 1) {
    const operations: AnyBulkWriteOperation<ThroughputDocument>[] = pending.map((sample) => ({
      updateOne: {
        filter: { _id: documentIdOf(`throughput:${sample.minute.getTime()}:${sample.queue}`) },
        update: {
          $inc: { completed: sample.completed, failed: sample.failed },
          $setOnInsert: { queue: sample.queue, minute: sample.minute },
        },
        upsert: true,
      },
    }));
    try {
      await access.throughput.bulkWrite(operations, { ordered: false, ...access.maxTime() });
      pending = [];
    } catch (err) {
      if (!isDuplicateKeyError(err) || tries >= MAX_UPSERT_RETRIES) throw err;
      const refused = new Set(
        ((err as { writeErrors?: { index: number }[] }).writeErrors ?? []).map((write) => write.index),
      );
      pending = pending.filter((_, index) => refused.has(index));
    }
  }
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
