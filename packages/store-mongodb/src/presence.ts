import type { InstanceRecord } from "@sched/core/adapter";
import type { Collection, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import { documentIdOf } from "./documents.js";

/** An instance's presence record as stored: the record itself, with `_id` derived from its id. */
export type InstanceDocument = InstanceRecord & { _id: ObjectId };

/** The instances collection, and the time limit each operation is sent with. */
export interface PresenceAccess {
  readonly instances: Collection<InstanceDocument>;
  maxTime(): { maxTimeMS?: number };
}

function instanceIdOf(id: string): ObjectId {
  return documentIdOf(`instance:${id}`);
}

/**
 * Creates or replaces an instance's record (see `Store.saveInstance`): one upserting
 * `replaceOne` on its derived `_id`; two concurrent first saves of one id meet on the `_id` index,
 * and the one refused writes again as a replace.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function saveInstance(access: PresenceAccess, instance: InstanceRecord): Promise<void> {
  const _id = instanceIdOf(instance.id);
  const document: InstanceDocument = {
    _id,
    id: instance.id,
    host: instance.host,
    pid: instance.pid,
    version: instance.version,
    queues: instance.queues === null ? null : [...instance.queues],
    workers: instance.workers,
    busy: instance.busy,
    leader: instance.leader,
    distributed: instance.distributed,
    startedAt: instance.startedAt,
    lastSeenAt: instance.lastSeenAt,
    expiresAt: instance.expiresAt,
  };
  try {
    await access.instances.replaceOne({ _id }, document, { upsert: true, ...access.maxTime() });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await access.instances.replaceOne({ _id }, document, access.maxTime());
  }
}

/**
 * Deletes an instance's record; returns whether it existed (see `Store.removeInstance`).
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function removeInstance(access: PresenceAccess, id: string): Promise<boolean> {
  const result = await access.instances.deleteOne({ _id: instanceIdOf(id) }, access.maxTime());
  return result.deletedCount === 1;
}

/**
 * The records not expired at `now`, ordered by id; the expired ones are deleted on the way (see
 * `Store.listInstances`). The collection holds one small record per running instance.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function listInstances(access: PresenceAccess, now: Date): Promise<InstanceRecord[]> {
  await access.instances.deleteMany({ expiresAt: { $lte: now } }, access.maxTime());
  const documents = await access.instances
    .find({ expiresAt: { $gt: now } }, access.maxTime())
    .sort({ id: 1 })
    .toArray();
  return documents.map((document) => ({
    id: document.id,
    host: document.host,
    pid: document.pid,
    version: document.version,
    queues: document.queues === null ? null : [...document.queues],
    workers: document.workers,
    busy: document.busy,
    leader: document.leader,
    distributed: document.distributed,
    startedAt: document.startedAt,
    lastSeenAt: document.lastSeenAt,
    expiresAt: document.expiresAt,
  }));
}
