import type { TableNames } from "./identifiers.js";

/**
 * Every SQL statement the store runs. The schema, and the claim functions whose plans must not
 * depend on statistics, live in `migrations/*.sql`. Table names come from {@link TableNames}
 * (validated and quoted); every value is a bound parameter.
 *
 * Each job operation is ONE statement, so it commits once however many jobs it touches: bulk
 * inserts read all rows from one JSON parameter, claims lock a whole batch with
 * `FOR UPDATE SKIP LOCKED` (inside the claim function), acknowledgements join the batch of refs
 * with `unnest`. Wake-ups (`pg_notify`) are sent by the statement that made jobs available, so
 * they are delivered when it commits, and not at all when it rolls back.
 */

/** The statuses in which a job holds its unique key; the unique index covers exactly these rows. */
const ACTIVE = `status IN ('scheduled', 'pending', 'running', 'failed')`;

/** The columns of a job, in the order `rows.ts` reads them. */
export const JOB_COLUMNS =
  "id, name, payload, queue, priority, max_retries, retry_count, timeout_ms, scheduled_at, created_at, " +
  "started_at, completed_at, error, status, metadata, unique_key, attempt, locked_until, locked_by, history";

/** The columns of a schedule. */
const SCHEDULE_COLUMNS = "name, definition, next_run_at, last_run_at, occurrences, created_at, updated_at";

/** Rows of new jobs from one JSON array parameter (see `rows.ts#newJobsJson`). */
function newJobRows(param: string): string {
  return `SELECT id, name, queue, status, priority, payload, coalesce(metadata, '{}'), max_retries,
      timeout_ms, scheduled_at, created_at, unique_key
    FROM json_to_recordset(${param}::json) AS t(id text, name text, queue text, status text,
      priority integer, payload jsonb, metadata jsonb, max_retries integer, timeout_ms bigint,
      scheduled_at timestamptz, created_at timestamptz, unique_key text)`;
}

const INSERT_JOB_COLUMNS =
  "id, name, queue, status, priority, payload, metadata, max_retries, timeout_ms, scheduled_at, created_at, unique_key";

/**
 * `history` with one more failure appended, keeping the last `maxParam` entries (the runtime's
 * `MAX_HISTORY`). Reads the row's `history` and `attempt` as they were before the update.
 */
function appendFailure(errorParam: string, failedAtParam: string, maxParam: string): string {
  return `(SELECT coalesce(jsonb_agg(kept.entry ORDER BY kept.position), '[]'::jsonb)
      FROM jsonb_array_elements(history || jsonb_build_array(jsonb_build_object(
        'attempt', attempt, 'error', ${errorParam}::text, 'failedAt', ${failedAtParam}::text)))
        WITH ORDINALITY AS kept(entry, position)
      WHERE kept.position > jsonb_array_length(history) + 1 - ${maxParam}::integer)`;
}

/** Sends one wake-up per distinct queue of `source`, unless the channel parameter is null. */
function notifyQueues(source: string, channelParam: string): string {
  return `SELECT pg_notify(${channelParam}, queues.queue)
    FROM (SELECT DISTINCT queue FROM ${source}) AS queues
    WHERE ${channelParam}::text IS NOT NULL`;
}

/** The statements of one store, built once for its schema and prefix. */
export interface Queries {
  /** $1 json array of new jobs, $2 channel or null. Fails with 23505 on a held unique key. */
  readonly insertJobs: string;
  /** $1 id. */
  readonly getJob: string;
  /** $1 statuses or null, $2 queue or null, $3 name or null, $4 limit, $5 offset. */
  readonly listJobs: string;
  /** $1 id, $2 now. Returns the job (cancelled, or unchanged when final). */
  readonly cancelJob: string;
  /** $1 id, $2 now, $3 channel or null. Returns the job and whether it was requeued (`requeued`). */
  readonly requeueJob: string;
  /** $1 now, $2 limit, $3 lockedUntil, $4 workerId, $5 queues or null for all. */
  readonly claimDueJobs: string;
  /** $1 unique key: the active job holding it. */
  readonly uniqueKeyHolder: string;
  /** $1 now, $2 ids, $3 attempts. Returns the refs completed. */
  readonly completeJobs: string;
  /** $1 ids, $2 attempts. Returns the refs deleted. */
  readonly completeAndRemoveJobs: string;
  /** $1 id, $2 attempt, $3 now, $4 retryAt or null, $5 error, $6 now as ISO text, $7 max history. */
  readonly failJob: string;
  /** $1 lockedUntil, $2 ids, $3 attempts. Returns the refs renewed. */
  readonly renewLeases: string;
  /** $1 now, $2 limit, $3 now as ISO text, $4 error, $5 max history, $6 channel or null. Returns `ids` and `queues`. */
  readonly recoverExpiredLeases: string;
  /** $1 queues or null for all: the earliest scheduled_at of a waiting job. */
  readonly nextDueAt: string;
  /** $1..$7 the schedule's columns. Creates or replaces. */
  readonly upsertSchedule: string;
  /** $1..$7 the schedule's columns. Creates only when absent. */
  readonly insertScheduleIfAbsent: string;
  /** $1 name. */
  readonly getSchedule: string;
  /** No parameters. */
  readonly listSchedules: string;
  /** $1 name. */
  readonly deleteSchedule: string;
  /**
   * $1 name, $2 expected next_run_at, $3 new next_run_at or null, $4 firedAt, $5 occurrences to
   * add, $6 json array of new jobs, $7 channel or null. Returns `fired` and the inserted `ids`.
   */
  readonly fireScheduleTick: string;
  /** $1 completedBefore, $2 deadBefore, $3 cancelledBefore. */
  readonly cleanup: string;
  /** No parameters: counts by queue and status. */
  readonly stats: string;
  /** No parameters. */
  readonly ping: string;
  /** $1 the migrations table's quoted name, to test whether it exists. */
  readonly migrationsTableExists: string;
  /** No parameters: the highest applied migration version. */
  readonly schemaVersion: string;
  /** $1 lock key: serialises migrations of the same schema and prefix until the transaction ends. */
  readonly migrationLock: string;
  /** $1 schema name. */
  readonly schemaExists: string;
  /** Creates the schema (the name is validated and quoted). */
  readonly createSchema: string;
}

/** Builds the statements for `names`. */
export function buildQueries(names: TableNames): Queries {
  const { jobs, schedules } = names;
  return {
    insertJobs: `WITH inserted AS (
        INSERT INTO ${jobs} (${INSERT_JOB_COLUMNS})
        ${newJobRows("$1")}
        RETURNING queue
      )
      ${notifyQueues("inserted", "$2")}`,

    getJob: `SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1`,

    uniqueKeyHolder: `SELECT id FROM ${jobs} WHERE unique_key = $1 AND ${ACTIVE} LIMIT 1`,

    listJobs: `SELECT ${JOB_COLUMNS} FROM ${jobs}
      WHERE ($1::text[] IS NULL OR status = ANY ($1::text[]))
        AND ($2::text IS NULL OR queue = $2::text)
        AND ($3::text IS NULL OR name = $3::text)
      ORDER BY created_at, id
      LIMIT $4 OFFSET $5`,

    // The second branch reads the snapshot from before the update: it returns the job unchanged
    // exactly when the first branch changed nothing.
    cancelJob: `WITH cancelled AS (
        UPDATE ${jobs}
        SET status = 'cancelled', completed_at = $2, locked_until = NULL, locked_by = NULL
        WHERE id = $1 AND ${ACTIVE}
        RETURNING ${JOB_COLUMNS}
      )
      SELECT ${JOB_COLUMNS} FROM cancelled
      UNION ALL
      SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1 AND NOT EXISTS (SELECT FROM cancelled)`,

    requeueJob: `WITH requeued AS (
        UPDATE ${jobs}
        SET status = 'pending', scheduled_at = $2, retry_count = 0, completed_at = NULL
        WHERE id = $1 AND status IN ('dead', 'cancelled')
        RETURNING ${JOB_COLUMNS}
      ), notified AS (
        ${notifyQueues("requeued", "$3")}
      )
      SELECT ${JOB_COLUMNS}, (SELECT count(*) FROM notified) >= 0 AS requeued FROM requeued
      UNION ALL
      SELECT ${JOB_COLUMNS}, false FROM ${jobs} WHERE id = $1 AND NOT EXISTS (SELECT FROM requeued)`,

    // The claim function (migrations/001_init.sql) locks and leases the batch in one statement;
    // its rows come back in no particular order, hence the sort.
    claimDueJobs: `SELECT ${JOB_COLUMNS} FROM ${names.claimJobs}($1, $2, $3, $4, $5)
      ORDER BY priority DESC, scheduled_at, id`,

    // The fencing check: only the attempt that holds the lease may record its outcome.
    completeJobs: `UPDATE ${jobs} AS j
      SET status = 'completed', completed_at = $1, locked_until = NULL, locked_by = NULL
      FROM unnest($2::text[], $3::integer[]) AS ref(id, attempt)
      WHERE j.id = ref.id AND j.status = 'running' AND j.attempt = ref.attempt
      RETURNING j.id, j.attempt`,

    completeAndRemoveJobs: `DELETE FROM ${jobs} AS j
      USING unnest($1::text[], $2::integer[]) AS ref(id, attempt)
      WHERE j.id = ref.id AND j.status = 'running' AND j.attempt = ref.attempt
      RETURNING j.id, j.attempt`,

    failJob: `UPDATE ${jobs}
      SET status = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
        retry_count = retry_count + CASE WHEN $4::timestamptz IS NULL THEN 0 ELSE 1 END,
        scheduled_at = coalesce($4::timestamptz, scheduled_at),
        completed_at = CASE WHEN $4::timestamptz IS NULL THEN $3::timestamptz END,
        error = $5::text,
        locked_until = NULL,
        locked_by = NULL,
        history = ${appendFailure("$5", "$6", "$7")}
      WHERE id = $1 AND status = 'running' AND attempt = $2
      RETURNING ${JOB_COLUMNS}`,

    renewLeases: `UPDATE ${jobs} AS j SET locked_until = $1
      FROM unnest($2::text[], $3::integer[]) AS ref(id, attempt)
      WHERE j.id = ref.id AND j.status = 'running' AND j.attempt = ref.attempt
      RETURNING j.id, j.attempt`,

    recoverExpiredLeases: `WITH expired AS (
        SELECT id, locked_until FROM ${jobs}
        WHERE status = 'running' AND locked_until <= $1
        ORDER BY locked_until, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ), recovered AS (
        UPDATE ${jobs} AS j
        SET status = 'pending', scheduled_at = $1, locked_until = NULL, locked_by = NULL,
          history = ${appendFailure("$4", "$3", "$5")}
        FROM expired WHERE j.id = expired.id
        RETURNING j.id, j.queue
      ), notified AS (
        ${notifyQueues("recovered", "$6")}
      )
      SELECT array(
          SELECT recovered.id FROM recovered JOIN expired USING (id)
          ORDER BY expired.locked_until, recovered.id
        ) AS ids,
        array(SELECT DISTINCT queue FROM recovered) AS queues,
        (SELECT count(*) FROM notified) AS notified`,

    nextDueAt: `SELECT ${names.nextDueAt}($1) AS next_due_at`,

    upsertSchedule: `INSERT INTO ${schedules} (${SCHEDULE_COLUMNS})
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
        next_run_at = excluded.next_run_at, last_run_at = excluded.last_run_at,
        occurrences = excluded.occurrences, created_at = excluded.created_at,
        updated_at = excluded.updated_at`,

    insertScheduleIfAbsent: `INSERT INTO ${schedules} (${SCHEDULE_COLUMNS})
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (name) DO NOTHING`,

    getSchedule: `SELECT ${SCHEDULE_COLUMNS} FROM ${schedules} WHERE name = $1`,

    listSchedules: `SELECT ${SCHEDULE_COLUMNS} FROM ${schedules} ORDER BY name`,

    deleteSchedule: `DELETE FROM ${schedules} WHERE name = $1`,

    // Compare-and-set and insert in one statement, hence one transaction: a concurrent firer
    // blocks on the schedule's row, then finds next_run_at changed and fires nothing.
    fireScheduleTick: `WITH fired AS (
        UPDATE ${schedules}
        SET next_run_at = $3, last_run_at = $4, updated_at = $4, occurrences = occurrences + $5
        WHERE name = $1 AND next_run_at = $2
        RETURNING name
      ), inserted AS (
        INSERT INTO ${jobs} (${INSERT_JOB_COLUMNS})
        ${newJobRows("$6")}
        WHERE EXISTS (SELECT FROM fired)
        ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND ${ACTIVE} DO NOTHING
        RETURNING id, queue
      ), notified AS (
        ${notifyQueues("inserted", "$7")}
      )
      SELECT EXISTS (SELECT FROM fired) AS fired,
        array(SELECT id FROM inserted) AS ids,
        (SELECT count(*) FROM notified) AS notified`,

    // Served by the partial index on completed_at of finished jobs: one range scan to the latest
    // cutoff, then each status's own cutoff.
    cleanup: `DELETE FROM ${jobs}
      WHERE status IN ('completed', 'dead', 'cancelled')
        AND completed_at < greatest($1::timestamptz, $2::timestamptz, $3::timestamptz)
        AND completed_at < CASE status WHEN 'completed' THEN $1::timestamptz
          WHEN 'dead' THEN $2::timestamptz ELSE $3::timestamptz END`,

    stats: `SELECT queue, status, count(*) AS count FROM ${jobs} GROUP BY queue, status`,

    ping: "SELECT 1",

    migrationsTableExists: "SELECT to_regclass($1::text) IS NOT NULL AS present",

    schemaVersion: `SELECT coalesce(max(version), 0) AS version FROM ${names.migrations}`,

    migrationLock: "SELECT pg_advisory_xact_lock($1::bigint)",

    schemaExists: "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS present",

    createSchema: `CREATE SCHEMA IF NOT EXISTS "${names.schema}"`,
  };
}
