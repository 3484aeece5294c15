import type { Collection, Db, IndexDescription, ObjectId } from "mongodb";
import type { DedupeDocument, GroupDocument, QueueDocument } from "./controls/control-documents.js";
import type { JobDocument, ScheduleDocument } from "./documents.js";
import type { InstanceDocument } from "./presence.js";
import type { ThroughputDocument } from "./throughput-history.js";

/** The store's collections, each named `<prefix><name>`. */
export interface StoreCollections {
  readonly jobs: Collection<JobDocument>;
  readonly schedules: Collection<ScheduleDocument>;
  readonly meta: Collection<{ _id: ObjectId; epoch: string }>;
  /** Control documents of the queues on the controlled claim path (see `control-documents.ts`). */
  readonly queues: Collection<QueueDocument>;
  /** Rotation and limit state of the groups of controlled queues. */
  readonly groups: Collection<GroupDocument>;
  /** Deduplication windows, one per queue and key. */
  readonly dedupe: Collection<DedupeDocument>;
  /** Presence records of running scheduler instances. */
  readonly instances: Collection<InstanceDocument>;
  /** Completed and failed counts per queue and minute. */
  readonly throughput: Collection<ThroughputDocument>;
}

/** The collections of `prefix` in `db`. */
export function collectionsOf(db: Db, prefix: string): StoreCollections {
  return {
    jobs: db.collection<JobDocument>(`${prefix}jobs`),
    schedules: db.collection<ScheduleDocument>(`${prefix}schedules`),
    meta: db.collection<{ _id: ObjectId; epoch: string }>(`${prefix}meta`),
    queues: db.collection<QueueDocument>(`${prefix}queues`),
    groups: db.collection<GroupDocument>(`${prefix}groups`),
    dedupe: db.collection<DedupeDocument>(`${prefix}dedupe`),
    instances: db.collection<InstanceDocument>(`${prefix}instances`),
    throughput: db.collection<ThroughputDocument>(`${prefix}throughput`),
  };
}

/**
 * The indexes of the jobs collection. `unique_active_key` is what makes unique keys hold under
 * concurrent enqueues: a job carries `activeKey` only while it is active, and the partial filter
 * (`$type: "string"`, accepted since MongoDB 3.2) leaves every other job out of the index.
 */
export const JOB_INDEXES: readonly IndexDescription[] = [
  { key: { id: 1 }, name: "job_id", unique: true },
  {
    key: { queue: 1, activeKey: 1 },
    name: "unique_active_key",
    unique: true,
    partialFilterExpression: { activeKey: { $type: "string" } },
  },
  // The claim: waiting jobs of a queue by priority, then run time, then id.
  { key: { status: 1, queue: 1, priority: -1, scheduledAt: 1, id: 1 }, name: "claim_order" },
  // The controlled claim: a group's next jobs, and running jobs counted per group.
  { key: { status: 1, queue: 1, group: 1, priority: -1, scheduledAt: 1, id: 1 }, name: "group_claim_order" },
  // Lease recovery (running by lockedUntil) and cleanup (final by completedAt).
  { key: { status: 1, lockedUntil: 1 }, name: "lease_expiry" },
  { key: { status: 1, completedAt: 1 }, name: "finished_at" },
  // Listing pages (keyset on createdAt, id): all jobs, a queue's, a status's, a queue's in some statuses.
  { key: { createdAt: 1, id: 1 }, name: "created_order" },
  { key: { queue: 1, createdAt: 1, id: 1 }, name: "queue_created_order" },
  { key: { status: 1, createdAt: 1, id: 1 }, name: "status_created_order" },
  { key: { queue: 1, status: 1, createdAt: 1, id: 1 }, name: "queue_status_created_order" },
];

/** The indexes of the schedules collection. */
export const SCHEDULE_INDEXES: readonly IndexDescription[] = [
  { key: { name: 1 }, name: "schedule_name", unique: true },
];

/** The indexes of the groups collection: a claim reads the groups of one queue. */
export const GROUP_INDEXES: readonly IndexDescription[] = [{ key: { queue: 1 }, name: "group_queue" }];

/** The indexes of the throughput history: a range of minutes, of one queue or all. */
export const THROUGHPUT_INDEXES: readonly IndexDescription[] = [
  { key: { minute: 1, queue: 1 }, name: "throughput_minute" },
];

/**
 * Creates the collections' indexes. `createIndexes` of an index that exists with the same
 * definition does nothing, so any number of instances may run it at once, and again at every
 * start; an index of the same name with another definition fails (IndexOptionsConflict).
 *
 * @throws what the driver throws (callers wrap it with `storeError`).
 */
export async function createIndexes(collections: StoreCollections, maxTimeMS: number): Promise<void> {
  const options = maxTimeMS > 0 ? { maxTimeMS } : {};
  await collections.jobs.createIndexes([...JOB_INDEXES], options);
  await collections.schedules.createIndexes([...SCHEDULE_INDEXES], options);
  await collections.groups.createIndexes([...GROUP_INDEXES], options);
  await collections.throughput.createIndexes([...THROUGHPUT_INDEXES], options);
}
