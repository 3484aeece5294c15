import {
  type DedupeOptions,
  type DedupeResult,
  JobAlreadyExistsError,
  type NewJobRecord,
} from "@sched/core/adapter";
import type { Collection } from "mongodb";
import { isDuplicateKeyError } from "../connection/index.js";
import { documentIdOf, type JobDocument, jobDocumentOf, jobOf, STAGED } from "../documents.js";
import type { JobAccess } from "../job-inserts.js";
import { type DedupeDocument, dedupeDocumentId } from "./control-documents.js";

/** How long (real ms) a caller waits for a window's job that another caller is still inserting. */
const STAGED_WAIT_MS = 1_000;

/** How many times a caller starts over after a concurrent caller changed the window first. */
const MAX_WINDOW_TRIES = 20;

/** The jobs and windows collections. */
export interface DedupeAccess extends JobAccess {
  readonly dedupe: Collection<DedupeDocument>;
}

/**
 * Inserts one job under a deduplication window (see `Store.createDedupedJob`), without a
 * transaction. The window document of (queue, key) names the job that opened it; only a
 * conditional write of that document opens a window (an insert the `_id` index lets one caller
 * win, or an update conditional on the job and opening it replaces), so of concurrent callers
 * exactly one inserts. The new job goes in staged first (no claim, read or count sees it), then
 * the window is written, then the job takes its status:
 *
 * - a crash after the staging leaves an invisible staged job and no window: nothing was promised;
 * - a crash after the window write leaves the window naming a job that stays staged: callers
 *   within the window wait for it up to {@link STAGED_WAIT_MS}, then a throttled caller gets the
 *   window with `job: null` and a debounced caller deletes the stuck staged job and opens a new
 *   window. If the first caller was only slow, its status write then finds no staged job and it
 *   starts over (it never makes a job visible that a window does not name).
 *
 * Returns the result and whether a job was inserted (for the wake-up).
 *
 * @throws JobAlreadyExistsError when a job with the new job's id exists; what the driver throws.
 */
export async function createDedupedJob(
  access: DedupeAccess,
  job: NewJobRecord,
  dedupe: DedupeOptions,
  now: Date,
): Promise<DedupeResult> {
  const windowId = dedupeDocumentId(job.queue, dedupe.key);
  const ownId = documentIdOf(`job:${job.id}`);
  let staged: JobDocument | null = null;
  try {
    for (let tries = 0; tries < MAX_WINDOW_TRIES; tries += 1) {
      const window = await access.dedupe.findOne({ _id: windowId }, access.maxTime());
      if (window !== null) {
        const held = await settledJob(access, window.jobId);
        if (dedupe.mode === "throttle" && now < window.expiresAt) {
          return {
            outcome: "throttled",
            jobId: window.jobId,
            job: held === null || held.status === STAGED ? null : jobOf(held),
          };
        }
        if (dedupe.mode === "debounce" && held !== null) {
          if (held.status === "scheduled" || held.status === "pending") {
            const folded = await foldInto(access, held, job, dedupe, window.openedAt, now);
            if (folded !== null) return { outcome: "debounced", jobId: folded.id, job: jobOf(folded) };
            continue;
          }
          // Still staged after the wait: its inserter stopped; delete it before taking its window.
          if (held.status === STAGED)
            await access.jobs.deleteOne({ _id: held._id, status: STAGED }, access.maxTime());
        }
      }
      const scheduledAt = cappedRunTime(job.scheduledAt, dedupe, now.getTime());
      const record: NewJobRecord = {
        ...job,
        scheduledAt,
        status: scheduledAt > now ? "scheduled" : "pending",
      };
      if (staged === null) staged = await stage(access, record, ownId);
      const opened: DedupeDocument = {
        _id: windowId,
        queue: job.queue,
        key: dedupe.key,
        jobId: job.id,
        openedAt: now,
        expiresAt: new Date(now.getTime() + dedupe.ttl),
      };
      if (!(await openWindow(access, window, opened))) continue;
      const shown = await access.jobs.findOneAndUpdate(
        { _id: ownId, status: STAGED },
        { $set: { status: record.status }, $unset: { stagedStatus: "" } },
        { returnDocument: "after", ...access.maxTime() },
      );
      if (shown === null) {
        // Taken for a stuck insert and deleted by another caller: start over with a new staging.
        staged = null;
        continue;
      }
      staged = null;
      return { outcome: "created", jobId: job.id, job: jobOf(shown) };
    }
    throw new Error(`the deduplication window ${dedupe.key} of queue ${job.queue} kept changing`);
  } finally {
    if (staged !== null) await access.jobs.deleteOne({ _id: ownId, status: STAGED }, access.maxTime());
  }
}

/** The run time of a new or debounced job: never later than the window's opening plus `maxWait`. */
function cappedRunTime(at: Date, dedupe: DedupeOptions, openedAt: number): Date {
  if (dedupe.mode !== "debounce" || dedupe.maxWait === null) return at;
  return new Date(Math.min(at.getTime(), openedAt + dedupe.maxWait));
}

/** Inserts `record` staged; a job with its id already there is a conflict. */
async function stage(
  access: DedupeAccess,
  record: NewJobRecord,
  id: JobDocument["_id"],
): Promise<JobDocument> {
  const document = jobDocumentOf(record, id, true);
  try {
    await access.jobs.insertOne(document, access.maxTime());
  } catch (err) {
    if (isDuplicateKeyError(err)) throw new JobAlreadyExistsError(record.id, record.id, record.queue);
    throw err;
  }
  return document;
}

/** Writes `opened` over `seen` (the window as read, or `null`), only if nobody changed it since. */
async function openWindow(
  access: DedupeAccess,
  seen: DedupeDocument | null,
  opened: DedupeDocument,
): Promise<boolean> {
  if (seen === null) {
    try {
      await access.dedupe.insertOne(opened, access.maxTime());
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }
  const { _id, ...fields } = opened;
  const result = await access.dedupe.updateOne(
    { _id, jobId: seen.jobId, openedAt: seen.openedAt },
    { $set: fields },
    access.maxTime(),
  );
  return result.matchedCount === 1;
}

/** The window's job, waiting (up to {@link STAGED_WAIT_MS}) while another caller is still inserting it. */
async function settledJob(access: DedupeAccess, jobId: string): Promise<JobDocument | null> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    const document = await access.jobs.findOne({ id: jobId }, access.maxTime());
    if (document === null || document.status !== STAGED || Date.now() - started >= STAGED_WAIT_MS)
      return document;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1 + attempt * 2, 20)));
  }
}

/**
 * Folds `job` into the waiting window job `held`: its payload, and its run time capped at the
 * window's opening plus `maxWait`, conditional on it still waiting at that attempt. Returns the
 * job after, or `null` when a claimer (or a cancel) changed it first.
 */
async function foldInto(
  access: DedupeAccess,
  held: JobDocument,
  job: NewJobRecord,
  dedupe: DedupeOptions,
  openedAt: Date,
  now: Date,
): Promise<JobDocument | null> {
  const scheduledAt = cappedRunTime(job.scheduledAt, dedupe, openedAt.getTime());
  return access.jobs.findOneAndUpdate(
    { _id: held._id, status: { $in: ["scheduled", "pending"] }, attempt: held.attempt },
    {
      $set: {
        payload: JSON.stringify(job.payload ?? null),
        scheduledAt,
        status: scheduledAt > now ? "scheduled" : "pending",
      },
    },
    { returnDocument: "after", ...access.maxTime() },
  );
}
