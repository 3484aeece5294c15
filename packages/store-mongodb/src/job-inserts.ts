import {
  type DeadLetterOptions,
  deadLetterJob,
  InvalidArgumentError,
  JobAlreadyExistsError,
  type NewJobRecord,
  quoteText,
} from "@sched/core/adapter";
import { type ClientSession, type Collection, ObjectId } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import { duplicateKeyErrorsOf } from "./connection/store-error.js";
import { documentIdOf, type JobDocument, jobDocumentOf, STAGED } from "./documents.js";

/** The jobs collection, and the time limit each operation is sent with. */
export interface JobAccess {
  readonly jobs: Collection<JobDocument>;
  maxTime(): { maxTimeMS?: number };
}

/** Refuses a batch in which two jobs of one queue share a unique key. */
export function refuseKeysTwiceInBatch(jobs: readonly NewJobRecord[]): void {
  const seen = new Set<string>();
  for (const job of jobs) {
    if (job.uniqueKey === null || job.uniqueKey === undefined) continue;
    const key = `${job.queue}\u0000${job.uniqueKey}`;
    if (seen.has(key)) throw new JobAlreadyExistsError(job.uniqueKey, null, job.queue);
    seen.add(key);
  }
}

/**
 * Refuses a batch with a unique key an active stored job holds. Only a fast, exact answer
 * (naming the holder): under concurrent enqueues the partial unique index decides.
 */
export async function refuseHeldKeys(
  access: JobAccess,
  jobs: readonly NewJobRecord[],
  session: ClientSession | undefined,
): Promise<void> {
  for (const job of jobs) {
    if (job.uniqueKey === null || job.uniqueKey === undefined) continue;
    const holder = await keyHolder(access, job.queue, job.uniqueKey, session);
    if (holder !== null) throw new JobAlreadyExistsError(job.uniqueKey, holder, job.queue);
  }
}

export async function keyHolder(
  access: JobAccess,
  queue: string,
  uniqueKey: string,
  session: ClientSession | undefined,
): Promise<string | null> {
  const holder = await access.jobs.findOne(
    { queue, activeKey: uniqueKey },
    { projection: { id: 1 }, ...(session === undefined ? {} : { session }), ...access.maxTime() },
  );
  return holder?.id ?? null;
}

/**
 * The error of a batch the server refused with a duplicate key: `InvalidArgumentError` naming `id`
 * for a job id already stored, else `JobAlreadyExistsError` naming the unique key and its holder.
 */
export async function conflictOf(
  access: JobAccess,
  jobs: readonly NewJobRecord[],
  session: ClientSession | undefined,
  err?: unknown,
): Promise<JobAlreadyExistsError | InvalidArgumentError> {
  // A job of the batch whose id was already stored (the violation is of the `_id` index): refused
  // as on every store, INVALID_ARGUMENT naming id.
  const index = err === undefined ? "unknown" : violatedIndex(err);
  if (index === "id") {
    const taken = duplicateDocumentId(err);
    const job = taken === undefined ? undefined : jobs.find((j) => documentIdOf(`job:${j.id}`).equals(taken));
    return new InvalidArgumentError(
      "id",
      job === undefined
        ? "a job with one of these ids already exists"
        : `a job with id ${quoteText(job.id, 200)} already exists`,
    );
  }
  if (index === "unknown") {
    // A server that names no index: the ids the batch holds already (read without the session:
    // what is committed, so none of the batch's own writes).
    const stored = await access.jobs.findOne(
      { _id: { $in: jobs.map((job) => documentIdOf(`job:${job.id}`)) }, status: { $ne: STAGED } },
      { projection: { id: 1 }, ...access.maxTime() },
    );
    if (stored !== null) {
      return new InvalidArgumentError("id", `a job with id ${quoteText(stored.id, 200)} already exists`);
    }
  }
  const ids = new Set(jobs.map((job) => job.id));
  for (const job of jobs) {
    if (job.uniqueKey === null || job.uniqueKey === undefined) continue;
    const holder = session?.inTransaction()
      ? null
      : await keyHolder(access, job.queue, job.uniqueKey, undefined);
    if (holder !== null && !ids.has(holder))
      return new JobAlreadyExistsError(job.uniqueKey, holder, job.queue);
  }
  const keyed = jobs.find((job) => job.uniqueKey !== null && job.uniqueKey !== undefined);
  return new JobAlreadyExistsError(keyed?.uniqueKey ?? jobs[0]?.id ?? "", null, keyed?.queue ?? null);
}

/**
 * Inserts a batch of several jobs all or nothing without a transaction: the jobs go in staged
 * (no claim, read or count sees them), then take their status together. If the server refuses
 * one (a duplicate key), the staged jobs of the batch are deleted.
 */
export async function insertBatch(access: JobAccess, jobs: readonly NewJobRecord[]): Promise<void> {
  const ids: ObjectId[] = jobs.map((job) => documentIdOf(`job:${job.id}`));
  const staged = jobs.map((job, i) => jobDocumentOf(job, ids[i] as ObjectId, true));
  try {
    await access.jobs.insertMany(staged, { ordered: true, ...access.maxTime() });
  } catch (err) {
    await access.jobs.deleteMany({ _id: { $in: ids }, status: STAGED }, access.maxTime());
    throw err;
  }
  for (const status of ["pending", "scheduled"] as const) {
    const of = jobs.flatMap((job, i) => (job.status === status ? [ids[i] as ObjectId] : []));
    if (of.length === 0) continue;
    await access.jobs.updateMany(
      { _id: { $in: of }, status: STAGED },
      { $set: { status }, $unset: { stagedStatus: "" } },
      access.maxTime(),
    );
  }
}

/**
 * Inserts the dead-letter job of `dead` (none without `options`, or for a dead-letter job's own
 * death); a second insert for the same death is refused by its derived `_id`. Returns whether
 * there is one.
 */
export async function insertDeadLetter(
  access: JobAccess,
  dead: JobDocument,
  options: DeadLetterOptions | null,
  now: Date,
): Promise<boolean> {
  if (options === null || dead.name === options.name) return false;
  const record = deadLetterJob({ id: dead.id, queue: dead.queue, attempt: dead.attempt }, options, now);
  try {
    await access.jobs.insertOne(
      jobDocumentOf(record, documentIdOf(`job:${record.id}`), false),
      access.maxTime(),
    );
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  return true;
}

/**
 * Which index a duplicate key of `err` is on, as the server says (`keyPattern`, or the index
 * named in its message): `"id"` for `_id` (a job id taken), `"other"` for a unique key's,
 * `"unknown"` when it says neither.
 */
function violatedIndex(err: unknown): "id" | "other" | "unknown" {
  let known = false;
  for (const item of duplicateKeyErrorsOf(err)) {
    const pattern = item.keyPattern as Record<string, unknown> | undefined | null;
    const named = / index: (\S+)/.exec(String(item.errmsg ?? ""))?.[1];
    if (pattern !== undefined && pattern !== null) {
      if (Object.keys(pattern).join() === "_id") return "id";
      known = true;
    } else if (named !== undefined) {
      if (named === "_id_") return "id";
      known = true;
    }
  }
  return known ? "other" : "unknown";
}

/** The `_id` a duplicate-key error of `err` names, when the server gave it. */
function duplicateDocumentId(err: unknown): ObjectId | undefined {
  for (const item of duplicateKeyErrorsOf(err)) {
    const id = (item.keyValue as { _id?: unknown } | undefined)?._id;
    if (id instanceof ObjectId) return id;
  }
  return undefined;
}
