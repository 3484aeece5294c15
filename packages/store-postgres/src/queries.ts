import addThroughput from "../sql/add-throughput.sql";
import analyzeJobs from "../sql/analyze-jobs.sql";
import cancelJob from "../sql/cancel-job.sql";
import claimDueJobs from "../sql/claim-due-jobs.sql";
import cleanup from "../sql/cleanup.sql";
import completeAndRemoveJobs from "../sql/complete-and-remove-jobs.sql";
import completeJobs from "../sql/complete-jobs.sql";
import createDedupedJob from "../sql/create-deduped-job.sql";
import createJobsAndClaim from "../sql/create-jobs-and-claim.sql";
import createSchema from "../sql/create-schema.sql";
import deleteJob from "../sql/delete-job.sql";
import deleteJobs from "../sql/delete-jobs.sql";
import deleteSchedule from "../sql/delete-schedule.sql";
import epoch from "../sql/epoch.sql";
import failJob from "../sql/fail-job.sql";
import fireScheduleTick from "../sql/fire-schedule-tick.sql";
import foldJobCounts from "../sql/fold-job-counts.sql";
import getJob from "../sql/get-job.sql";
import getQueue from "../sql/get-queue.sql";
import getSchedule from "../sql/get-schedule.sql";
import insertJobs from "../sql/insert-jobs.sql";
import insertScheduleIfAbsent from "../sql/insert-schedule-if-absent.sql";
import jobsLiveRows from "../sql/jobs-live-rows.sql";
import listInstances from "../sql/list-instances.sql";
import listJobs from "../sql/list-jobs.sql";
import listJobsDesc from "../sql/list-jobs-desc.sql";
import listQueues from "../sql/list-queues.sql";
import listSchedules from "../sql/list-schedules.sql";
import mayMaintainJobs from "../sql/may-maintain-jobs.sql";
import migrationLock from "../sql/migration-lock.sql";
import migrationsTableExists from "../sql/migrations-table-exists.sql";
import nextDueAt from "../sql/next-due-at.sql";
import ping from "../sql/ping.sql";
import promoteJob from "../sql/promote-job.sql";
import rateLimitJob from "../sql/rate-limit-job.sql";
import recoverExpiredLeases from "../sql/recover-expired-leases.sql";
import releaseJobs from "../sql/release-jobs.sql";
import removeInstance from "../sql/remove-instance.sql";
import renewLeases from "../sql/renew-leases.sql";
import replaceScheduleIfDefinedAs from "../sql/replace-schedule-if-defined-as.sql";
import requeueJob from "../sql/requeue-job.sql";
import retryJobs from "../sql/retry-jobs.sql";
import saveInstance from "../sql/save-instance.sql";
import schemaExists from "../sql/schema-exists.sql";
import schemaVersion from "../sql/schema-version.sql";
import stats from "../sql/stats.sql";
import throughput from "../sql/throughput.sql";
import uniqueKeyHolder from "../sql/unique-key-holder.sql";
import updateQueue from "../sql/update-queue.sql";
import upsertSchedule from "../sql/upsert-schedule.sql";
import vacuumJobs from "../sql/vacuum-jobs.sql";
import waitingJobNames from "../sql/waiting-job-names.sql";
import { fillNames, type TableNames } from "./identifiers.js";

/**
 * Every SQL statement the store runs, one file each in the package's `sql/` folder, named for
 * its operation; each file says its parameters and what it returns. The schema, and the
 * functions the statements share (the claim, the fencing check, dead letters and wake-ups), live in
 * `migrations/*.sql`. Table names come from {@link TableNames} (validated and quoted); every value
 * is a bound parameter.
 *
 * Each job operation is ONE statement, so it commits once however many jobs it touches: bulk
 * inserts read all rows from one JSON parameter, claims lock a whole batch with
 * `FOR UPDATE SKIP LOCKED` (inside the claim function), acknowledgements join the batch of refs.
 * Wake-ups (`pg_notify`) are sent by the statement that made jobs available, so they are
 * delivered when it commits, and not at all when it rolls back.
 */
const STATEMENTS = {
  addThroughput,
  cancelJob,
  claimDueJobs,
  cleanup,
  completeAndRemoveJobs,
  completeJobs,
  createDedupedJob,
  createJobsAndClaim,
  createSchema,
  deleteJobs,
  deleteSchedule,
  epoch,
  failJob,
  fireScheduleTick,
  foldJobCounts,
  getJob,
  getQueue,
  getSchedule,
  insertJobs,
  insertScheduleIfAbsent,
  listInstances,
  listJobs,
  listJobsDesc,
  listQueues,
  listSchedules,
  migrationLock,
  migrationsTableExists,
  nextDueAt,
  ping,
  promoteJob,
  deleteJob,
  rateLimitJob,
  recoverExpiredLeases,
  releaseJobs,
  removeInstance,
  renewLeases,
  replaceScheduleIfDefinedAs,
  requeueJob,
  retryJobs,
  saveInstance,
  schemaExists,
  schemaVersion,
  stats,
  throughput,
  uniqueKeyHolder,
  updateQueue,
  upsertSchedule,
  vacuumJobs,
  analyzeJobs,
  jobsLiveRows,
  mayMaintainJobs,
  waitingJobNames,
} as const;

/** The statements of one store, with its schema and prefix filled in. */
export type Queries = { readonly [Name in keyof typeof STATEMENTS]: string };

/** Fills the names of `names` into every statement, once per store. */
export function buildQueries(names: TableNames): Queries {
  const filled: Record<string, string> = {};
  for (const [name, sql] of Object.entries(STATEMENTS)) filled[name] = fillNames(sql, names);
  return filled as Queries;
}
