import type { SaveScheduleOptions, ScheduleRecord, ScheduleTick } from "@sched/core/adapter";
import type { Collection, Filter } from "mongodb";
import { isDuplicateKeyError } from "./connection/index.js";
import {
  documentIdOf,
  type JobDocument,
  jobDocumentOf,
  type ScheduleDocument,
  scheduleDocumentOf,
} from "./documents.js";
import { type JobAccess, keyHolder } from "./job-inserts.js";

/** How many times an upsert of a new schedule is tried when a concurrent one inserted it first. */
const MAX_UPSERT_TRIES = 5;

/**
 * Writes a schedule (see `Store.saveSchedule`): with `onlyIfAbsent` an insert its `_id` (derived
 * from the name) lets only one creator win; with `expectDefinition` an update matching that
 * definition stamp (a compare-and-set); otherwise an upsert. Returns whether it was written.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function saveSchedule(
  schedules: Collection<ScheduleDocument>,
  maxTime: { maxTimeMS?: number },
  schedule: ScheduleRecord,
  options: SaveScheduleOptions,
): Promise<boolean> {
  const document = scheduleDocumentOf(schedule);
  const { _id, ...fields } = document;
  if (options.onlyIfAbsent === true) {
    try {
      await schedules.insertOne(document, maxTime);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }
  if (options.expectDefinition !== undefined) {
    const result = await schedules.updateOne(
      {
        _id,
        definedAt: options.expectDefinition.definedAt,
        definedBy: options.expectDefinition.definedBy,
        ...(options.expectNextRunAt === undefined ? {} : { nextRunAt: options.expectNextRunAt }),
      },
      { $set: fields },
      maxTime,
    );
    return result.matchedCount === 1;
  }
  for (let tries = 0; ; tries += 1) {
    try {
      await schedules.updateOne({ _id }, { $set: fields }, { upsert: true, ...maxTime });
      return true;
    } catch (err) {
      // Two upserts of a new name race: the loser's insert hits the _id index; its update now finds the winner's.
      if (!isDuplicateKeyError(err) || tries >= MAX_UPSERT_TRIES) throw err;
    }
  }
}

/**
 * Fires one tick of a schedule (see `Store.fireScheduleTick`) exactly once without a transaction:
 * each job of the tick is stored under an `_id` derived from the schedule, the tick's instant and
 * the job's place in the tick, so whichever firer inserts it first, a second insert of the same
 * tick's job is refused by the `_id` index. The jobs go in first, then the compare-and-set on
 * `nextRunAt` decides the one firer that reports the tick; a firer that stops between the two
 * leaves the tick's jobs stored and the tick due, and the next firer inserts nothing new and
 * advances it. A job whose unique key is held is skipped. Returns the tick's stored jobs when this
 * caller won, or `null`.
 *
 * @throws what the driver throws (the store wraps it).
 */
export async function fireScheduleTick(
  schedules: Collection<ScheduleDocument>,
  access: JobAccess,
  tick: ScheduleTick,
): Promise<JobDocument[] | null> {
  const scheduleId = documentIdOf(`schedule:${tick.name}`);
  const expected = tick.expectedNextRunAt;
  // The compare-and-set: the tick still due, and (when given) the definition the jobs were made of.
  const due: Filter<ScheduleDocument> = { _id: scheduleId, nextRunAt: expected };
  if (tick.expectedDefinition !== undefined) {
    due.definedAt = tick.expectedDefinition.definedAt;
    due.definedBy = tick.expectedDefinition.definedBy;
  }
  const current = await schedules.findOne(due, { projection: { _id: 1 }, ...access.maxTime() });
  if (current === null) return null;
  const stored: JobDocument[] = [];
  const keysOfTick = new Set<string>();
  for (const [index, job] of tick.jobs.entries()) {
    const documentId = documentIdOf(`tick:${tick.name}:${expected.getTime()}:${index}`);
    const key = job.uniqueKey === null ? null : `${job.queue}\u0000${job.uniqueKey}`;
    if (key !== null && keysOfTick.has(key)) continue;
    const existing = await access.jobs.findOne({ _id: documentId }, access.maxTime());
    if (existing !== null) {
      stored.push(existing);
      if (key !== null) keysOfTick.add(key);
      continue;
    }
    if (job.uniqueKey !== null && (await keyHolder(access, job.queue, job.uniqueKey, undefined)) !== null)
      continue;
    const document = jobDocumentOf(job, documentId, false);
    try {
      await access.jobs.insertOne(document, access.maxTime());
      stored.push(document);
      if (key !== null) keysOfTick.add(key);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Another firer stored this job first (the _id), or its unique key is held: either way it is not ours to add.
      const raced = await access.jobs.findOne({ _id: documentId }, access.maxTime());
      if (raced !== null) stored.push(raced);
    }
  }
  const result = await schedules.updateOne(
    due,
    {
      $set: { nextRunAt: tick.nextRunAt, lastRunAt: tick.firedAt, updatedAt: tick.firedAt },
      $inc: { occurrences: tick.jobs.length },
    },
    access.maxTime(),
  );
  if (result.matchedCount !== 1) return null;
  return stored;
}
