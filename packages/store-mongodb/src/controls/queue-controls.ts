import { randomUUID } from "node:crypto";
import type { QueuePatch, QueueRecord } from "@sched/core/adapter";
import type { Collection, UpdateFilter } from "mongodb";
import { isDuplicateKeyError } from "../connection/index.js";
import {
  type GroupDocument,
  groupDocumentId,
  initialQueueFields,
  type QueueDocument,
  queueDocumentId,
  queueRecordOf,
} from "./control-documents.js";

/** How many times an upsert of a new control document is tried when a concurrent one inserted it first. */
const MAX_UPSERT_TRIES = 5;

/** The fields of `QueuePatch` a store writes. */
const PATCH_FIELDS = ["paused", "concurrency", "rateLimit", "group", "limitedUntil"] as const;

/**
 * Runs an upsert again when it lost the race to insert a new document (the `_id` index refused
 * the second insert; the retry updates the winner's document).
 */
async function upsertWithRetry<T>(write: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries += 1) {
    try {
      return await write();
    } catch (err) {
      if (!isDuplicateKeyError(err) || tries >= MAX_UPSERT_TRIES) throw err;
    }
  }
}

/**
 * Writes a queue's controls (see `Store.updateQueue`) in one upsert of its control document, and
 * changes its `wakeUp` so that the change stream tells every instance. Returns the record after.
 *
 * @throws what the driver throws.
 */
export async function updateQueue(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  name: string,
  patch: QueuePatch,
  now: Date,
): Promise<QueueRecord> {
  const set: Partial<QueueDocument> = { configured: true, updatedAt: now, wakeUp: randomUUID() };
  for (const field of PATCH_FIELDS) {
    if (patch[field] === undefined) continue;
    (set as Record<string, unknown>)[field] = copyOf(patch[field]);
  }
  const onInsert: Record<string, unknown> = { ...initialQueueFields(name) };
  for (const field of Object.keys(set)) delete onInsert[field];
  const after = await upsertWithRetry(() =>
    queues.findOneAndUpdate(
      { _id: queueDocumentId(name) },
      { $set: set, $setOnInsert: onInsert } as UpdateFilter<QueueDocument>,
      { upsert: true, returnDocument: "after", ...maxTime },
    ),
  );
  if (after === null) throw new Error(`the control document of queue ${name} was not returned by its upsert`);
  return queueRecordOf(after);
}

/** A plain copy of a patch value (no reference to the caller's object is stored). */
function copyOf(value: unknown): unknown {
  return value === null || typeof value !== "object" ? value : (JSON.parse(JSON.stringify(value)) as unknown);
}

/**
 * Gives each of `names` a control document when it has none (not configured, no controls), so
 * that its claims take the controlled path (a queue that received a job with a group). One
 * `bulkWrite` of `$setOnInsert` upserts: a queue that has one is left as it is.
 *
 * @throws what the driver throws.
 */
export async function ensureControlled(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  names: Iterable<string>,
): Promise<void> {
  const unique = [...new Set(names)];
  if (unique.length === 0) return;
  await upsertWithRetry(() =>
    queues.bulkWrite(
      unique.map((name) => ({
        updateOne: {
          filter: { _id: queueDocumentId(name) },
          update: { $setOnInsert: { ...initialQueueFields(name), configured: false } },
          upsert: true,
        },
      })),
      { ordered: false, ...maxTime },
    ),
  );
}

/**
 * The names, among `names` (all queues when `null`), of the queues that have a control document:
 * their claims take the controlled path.
 *
 * @throws what the driver throws.
 */
export async function controlledQueueNames(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  names: readonly string[] | null,
): Promise<Set<string>> {
  const filter = names === null ? {} : { _id: { $in: [...new Set(names)].map(queueDocumentId) } };
  const documents = await queues.find(filter, { projection: { name: 1 }, ...maxTime }).toArray();
  return new Set(documents.map((document) => document.name));
}

/**
 * The names of the paused queues among `names` (all when `null`).
 *
 * @throws what the driver throws.
 */
export async function pausedQueueNames(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  names: readonly string[] | null,
): Promise<string[]> {
  const filter =
    names === null
      ? { paused: true }
      : { _id: { $in: [...new Set(names)].map(queueDocumentId) }, paused: true };
  const documents = await queues.find(filter, { projection: { name: 1 }, ...maxTime }).toArray();
  return documents.map((document) => document.name);
}

/**
 * The stored controls of a queue, or `null` when it has none (see `Store.getQueue`).
 *
 * @throws what the driver throws.
 */
export async function getQueue(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  name: string,
): Promise<QueueRecord | null> {
  const document = await queues.findOne({ _id: queueDocumentId(name), configured: true }, maxTime);
  return document === null ? null : queueRecordOf(document);
}

/**
 * Every queue with stored controls, ordered by name (see `Store.listQueues`).
 *
 * @throws what the driver throws.
 */
export async function listQueues(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
): Promise<QueueRecord[]> {
  const documents = await queues.find({ configured: true }, maxTime).toArray();
  return documents.map(queueRecordOf).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Pushes back a queue: it is not claimed before `until`, and an earlier, longer push-back stays
 * (`$max`). The queue's record shows it (`limitedUntil`).
 *
 * @throws what the driver throws.
 */
export async function pushBackQueue(
  queues: Collection<QueueDocument>,
  maxTime: { maxTimeMS?: number },
  name: string,
  until: Date,
  now: Date,
): Promise<void> {
  const onInsert: Record<string, unknown> = { ...initialQueueFields(name) };
  delete onInsert.limitedUntil;
  delete onInsert.updatedAt;
  await upsertWithRetry(() =>
    queues.updateOne(
      { _id: queueDocumentId(name) },
      {
        $max: { limitedUntil: until },
        $set: { configured: true, updatedAt: now },
        $setOnInsert: onInsert,
      } as UpdateFilter<QueueDocument>,
      { upsert: true, ...maxTime },
    ),
  );
}

/**
 * Pushes back one group of a queue: none of its jobs is claimed before `until`, and an earlier,
 * longer push-back stays (`$max`).
 *
 * @throws what the driver throws.
 */
export async function pushBackGroup(
  groups: Collection<GroupDocument>,
  maxTime: { maxTimeMS?: number },
  queue: string,
  group: string,
  until: Date,
): Promise<void> {
  await upsertWithRetry(() =>
    groups.updateOne(
      { _id: groupDocumentId(queue, group) },
      {
        $max: { limitedUntil: until },
        $setOnInsert: { queue, group, lastServed: 0, windowStart: 0, windowCount: 0 },
      },
      { upsert: true, ...maxTime },
    ),
  );
}
