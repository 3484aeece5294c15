import type { AnyBulkWriteOperation, Collection, Document } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";

/** How many times upserts refused on the `_id` index are sent again. */
const MAX_UPSERT_RETRIES = 3;

/**
 * Sends `operations` (upserts keyed by `_id`) in one unordered `bulkWrite`, with the time limit
 * `maxTime()` gives at each try. Two first upserts of one `_id` at once meet on the `_id` index:
 * the upserts refused with a duplicate key are sent again (up to 3 more times), and find the
 * document the other made.
 *
 * @throws what the driver throws: any error other than a duplicate key at once, a duplicate key
 *   once the retries are spent.
 */
export async function bulkUpsert<TDocument extends Document>(
  collection: Collection<TDocument>,
  operations: readonly AnyBulkWriteOperation<TDocument>[],
  maxTime: () => { maxTimeMS?: number },
): Promise<void> {
  let pending = operations;
  for (let tries = 0; pending.length > 0; tries += 1) {
    try {
      await collection.bulkWrite([...pending], { ordered: false, ...maxTime() });
      pending = [];
    } catch (err) {
      if (!isDuplicateKeyError(err) || tries >= MAX_UPSERT_RETRIES) throw err;
      const refused = new Set(
        ((err as { writeErrors?: { index: number }[] }).writeErrors ?? []).map((write) => write.index),
      );
      pending = pending.filter((_, index) => refused.has(index));
    }
  }
}
