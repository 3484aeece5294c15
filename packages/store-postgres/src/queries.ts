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
const JOB_COLUMN_NAMES = [
  "id",
  "name",
  "payload",
  "queue",
  "priority",
  "max_retries",
  "retry_count",
  "timeout_ms",
  "scheduled_at",
  "created_at",
  "started_at",
  "completed_at",
  "error",
  "status",
  "metadata",
  "unique_key",
  "attempt",
  "lost_leases",
  "locked_until",
  "locked_by",
  "history",
] as const;

/** The columns of a job, unqualified. */
export const JOB_COLUMNS = JOB_COLUMN_NAMES.join(", ");

/** The columns of a job qualified by `alias`, for statements that join the jobs table. */
function jobColumnsOf(alias: string): string {
  return JOB_COLUMN_NAMES.map((column) => `${alias}.${column}`).join(", ");
}

/** The columns of a schedule, in the order of `rows.ts#scheduleParams`. */
const SCHEDULE_COLUMNS =
  "name, definition, next_run_at, last_run_at, occurrences, created_at, updated_at, defined_at, defined_by";

/** Rows of new jobs from one JSON array parameter (see `rows.ts#newJobsJson`). */
function newJobRows(param: string): string {
  return `SELECT id, name, queue, status, priority, payload, coalesce(metadata, '{}'), max_retries,
      timeout_ms, scheduled_at, created_at, unique_key
    FROM json_to_recordset(${param}::json) AS t(id text, name text, queue text, status text,
      priority integer, payload json, metadata json, max_retries integer, timeout_ms bigint,
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

/**
 * Sends one wake-up per distinct queue of `source` (a relation with a `queue` column), unless the
 * channel parameter is null. The payload is the queue name (see `notifications.ts`).
 */
function notifyQueues(source: string, channelParam: string): string {
  return `SELECT pg_notify(${channelParam}, queues.queue)
    FROM (SELECT DISTINCT queue FROM ${source}) AS queues
    WHERE ${channelParam}::text IS NOT NULL`;
}

/**
 * Inserts the dead-letter job of each row of `source` (jobs as they are after the update) that
 * became dead, unless the dead-letter name parameter is null or the job is itself a dead-letter
 * job (named so). The record is core's `deadLetterJob(dead, options, now)`: id
 * `<id>:dead:<attempt>` (core's `deadLetterJobId`), the dead job's queue, pending at now, no
 * payload, metadata `{ [DEAD_LETTER_METADATA]: <id> }`, no unique key. Returns the queues of the
 * jobs inserted; one inserted before (the same death recorded twice) is left alone.
 */
function insertDeadLetters(
  jobs: string,
  source: string,
  p: {
    now: string;
    name: string;
    priority: string;
    maxRetries: string;
    timeout: string;
    metadataKey: string;
  },
): string {
  return `INSERT INTO ${jobs} (${INSERT_JOB_COLUMNS})
    SELECT dead.id || ':dead:' || dead.attempt, ${p.name}::text, dead.queue, 'pending',
      ${p.priority}::integer, NULL, json_build_object(${p.metadataKey}::text, dead.id),
      ${p.maxRetries}::integer, ${p.timeout}::bigint, ${p.now}::timestamptz, ${p.now}::timestamptz, NULL
    FROM ${source} AS dead
    WHERE dead.status = 'dead' AND ${p.name}::text IS NOT NULL AND dead.name <> ${p.name}::text
    ON CONFLICT (id) DO NOTHING
    RETURNING queue`;
}

/** The statements of one store, built once for its schema and prefix. */
export interface Queries {
  /** $1 json array of new jobs, $2 channel or null. Fails with 23505 on a held unique key. */
  readonly insertJobs: string;
  /** $1 id. */
  readonly getJob: string;
  /** $1 statuses or null, $2 queue or null, $3 name or null, $4 limit, $5 offset. */
  readonly listJobs: string;
  /**
   * $1 id, $2 now, $3 channel or null. Returns the job (cancelled, or unchanged when final),
   * whether it was running (`was_running`), in which case a cancel notification was sent, and the
   * process id of the server backend that sent it (`sender_pid`).
   */
  readonly cancelJob: string;
  /** $1 id, $2 now, $3 channel or null. Returns the job and whether it was requeued (`requeued`). */
  readonly requeueJob: string;
  /** $1 now, $2 limit, $3 lockedUntil, $4 workerId, $5 queues or null for all, $6 names or null for all. */
  readonly claimDueJobs: string;
  /** $1 queue, $2 unique key: the active job holding it. */
  readonly uniqueKeyHolder: string;
  /** $1 now, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs completed. */
  readonly completeJobs: string;
  /** $1 ids, $2 queues, $3 attempts, $4 holders. Returns the refs deleted. */
  readonly completeAndRemoveJobs: string;
  /**
   * $1 id, $2 queue, $3 attempt, $4 now, $5 retryAt or null, $6 error, $7 now as ISO text, $8 max
   * history, $9 channel or null, $10..$13 the dead-letter job's name (null for none), priority,
   * max retries and timeout, $14 the dead-letter metadata key, $15 the lease holder. Returns the
   * job afterwards.
   */
  readonly failJob: string;
  /** $1 now, $2 ids, $3 queues, $4 attempts, $5 holders, $6 channel or null. Returns the refs released. */
  readonly releaseJobs: string;
  /** $1 lockedUntil, $2 ids, $3 queues, $4 attempts, $5 holders. Returns the refs renewed. */
  readonly renewLeases: string;
  /**
   * $1 now, $2 limit, $3 now as ISO text, $4 error, $5 max history, $6 channel or null, $7 max
   * lost leases, $8..$11 the dead-letter job's name (null for none), priority, max retries and
   * timeout, $12 the dead-letter metadata key. Returns the jobs recovered, longest expired first.
   */
  readonly recoverExpiredLeases: string;
  /** $1 queues or null for all, $2 names or null for all: the earliest scheduled_at of a waiting job. */
  readonly nextDueAt: string;
  /** $1 queues or null for all, $2 dueBy, $3 most names, $4 most names looked at. Returns `names`. */
  readonly waitingJobNames: string;
  /** $1..$9 the schedule's columns. Creates or replaces. */
  readonly upsertSchedule: string;
  /** $1..$9 the schedule's columns. Creates only when absent. */
  readonly insertScheduleIfAbsent: string;
  /**
   * $1..$9 the schedule's columns, $10 the expected defined_at, $11 the expected defined_by (null
   * compares as a value). Replaces only a schedule whose definition carries that stamp.
   */
  readonly replaceScheduleIfDefinedAs: string;
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
  /** No parameters: the id of the data (`epoch`), created when there is none. */
  readonly epoch: string;
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
  /**
   * The refs of a batch (`unnest` of ids, queues, attempts and holders) joined to the attempts that
   * hold their leases now: the fencing check. The attempt alone is not enough: a claim lost in a
   * crash of the server (claims commit asynchronously) hands the same attempt number out again,
   * maybe to another instance; the holder tells the two leases apart.
   */
  const currentAttempts = (ids: string, queues: string, attempts: string, holders: string) =>
    `unnest(${ids}::text[], ${queues}::text[], ${attempts}::integer[], ${holders}::text[])
        AS ref(id, queue, attempt, locked_by)
      WHERE j.id = ref.id AND j.queue = ref.queue AND j.status = 'running' AND j.attempt = ref.attempt
        AND j.locked_by = ref.locked_by`;
  /** What the fencing statements return: the refs applied, holder included (the row's is cleared). */
  const appliedRefs = `j.id, j.queue, j.attempt, ref.locked_by AS "lockedBy"`;
  return {
    insertJobs: `WITH inserted AS (
        INSERT INTO ${jobs} (${INSERT_JOB_COLUMNS})
        ${newJobRows("$1")}
        RETURNING queue
      )
      ${notifyQueues("inserted", "$2")}`,

    getJob: `SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1`,

    uniqueKeyHolder: `SELECT id FROM ${jobs} WHERE queue = $1 AND unique_key = $2 AND ${ACTIVE} LIMIT 1`,

    listJobs: `SELECT ${JOB_COLUMNS} FROM ${jobs}
      WHERE ($1::text[] IS NULL OR status = ANY ($1::text[]))
        AND ($2::text IS NULL OR queue = $2::text)
        AND ($3::text IS NULL OR name = $3::text)
      ORDER BY created_at, id
      LIMIT $4 OFFSET $5`,

    // The row is locked first to read the status it has when the cancel applies (a claim may have
    // made it running since the statement began). The cancel notification of a running job goes
    // out on commit, to every instance LISTENing, so the one running it aborts its handler. Its
    // payload, "cancel<TAB><TAB><attempt><TAB><queue><TAB><id>", names the attempt the cancel
    // fenced off and can never be a queue name (see notifications.ts); one over NOTIFY's 8000-byte
    // limit is not sent (lease renewal finds the cancel instead). The last branch reads the
    // snapshot from before the update: it returns the job unchanged exactly when the first branch
    // changed nothing.
    cancelJob: `WITH target AS (
        SELECT id, status FROM ${jobs} WHERE id = $1 AND ${ACTIVE} FOR UPDATE
      ), cancelled AS (
        UPDATE ${jobs} AS j
        SET status = 'cancelled', completed_at = $2, locked_until = NULL, locked_by = NULL
        FROM target WHERE j.id = target.id
        RETURNING ${jobColumnsOf("j")}, target.status = 'running' AS was_running
      ), notified AS (
        SELECT pg_notify($3, message.payload)
        FROM cancelled CROSS JOIN LATERAL (
          SELECT concat_ws(E'\\t', 'cancel', '', cancelled.attempt, cancelled.queue, cancelled.id) AS payload
        ) AS message
        WHERE cancelled.was_running AND $3::text IS NOT NULL AND octet_length(message.payload) < 8000
      )
      SELECT ${JOB_COLUMNS}, was_running, pg_backend_pid() AS sender_pid,
        (SELECT count(*) FROM notified) >= 0 AS notified
      FROM cancelled
      UNION ALL
      SELECT ${JOB_COLUMNS}, false, NULL, true FROM ${jobs}
      WHERE id = $1 AND NOT EXISTS (SELECT FROM cancelled)`,

    // A requeued job starts over with a fresh budget: retry_count and lost_leases back to 0
    // (attempt keeps rising: it is the fencing token).
    requeueJob: `WITH requeued AS (
        UPDATE ${jobs}
        SET status = 'pending', scheduled_at = $2, retry_count = 0, lost_leases = 0, completed_at = NULL
        WHERE id = $1 AND status IN ('dead', 'cancelled')
        RETURNING ${JOB_COLUMNS}
      ), notified AS (
        ${notifyQueues("requeued", "$3")}
      )
      SELECT ${JOB_COLUMNS}, (SELECT count(*) FROM notified) >= 0 AS requeued FROM requeued
      UNION ALL
      SELECT ${JOB_COLUMNS}, false FROM ${jobs} WHERE id = $1 AND NOT EXISTS (SELECT FROM requeued)`,

    // The claim function (migrations/002_job_life.sql) locks and leases the batch in one
    // statement; its rows come back in no particular order, hence the sort.
    claimDueJobs: `SELECT ${JOB_COLUMNS} FROM ${names.claimJobs}($1, $2, $3, $4, $5, $6)
      ORDER BY priority DESC, scheduled_at, id`,

    // The fencing check: only the attempt and holder of the lease may record its outcome.
    completeJobs: `UPDATE ${jobs} AS j
      SET status = 'completed', completed_at = $1, locked_until = NULL, locked_by = NULL
      FROM ${currentAttempts("$2", "$3", "$4", "$5")}
      RETURNING ${appliedRefs}`,

    completeAndRemoveJobs: `DELETE FROM ${jobs} AS j
      USING ${currentAttempts("$1", "$2", "$3", "$4")}
      RETURNING ${appliedRefs}`,

    // A retry wakes the queue (the job is due again at retryAt); a death inserts its dead-letter
    // job in the same statement, so the two commit together, and wakes the dead letter's queue.
    failJob: `WITH failed AS (
        UPDATE ${jobs}
        SET status = CASE WHEN $5::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
          retry_count = retry_count + CASE WHEN $5::timestamptz IS NULL THEN 0 ELSE 1 END,
          scheduled_at = coalesce($5::timestamptz, scheduled_at),
          completed_at = CASE WHEN $5::timestamptz IS NULL THEN $4::timestamptz END,
          error = $6::text,
          locked_until = NULL,
          locked_by = NULL,
          history = ${appendFailure("$6", "$7", "$8")}
        WHERE id = $1 AND queue = $2 AND status = 'running' AND attempt = $3 AND locked_by = $15
        RETURNING ${JOB_COLUMNS}
      ), letters AS (
        ${insertDeadLetters(jobs, "failed", {
          now: "$4",
          name: "$10",
          priority: "$11",
          maxRetries: "$12",
          timeout: "$13",
          metadataKey: "$14",
        })}
      ), notified AS (
        ${notifyQueues("(SELECT queue FROM failed WHERE status = 'failed' UNION ALL SELECT queue FROM letters) AS woken", "$9")}
      )
      SELECT ${JOB_COLUMNS}, (SELECT count(*) FROM notified) >= 0 AS notified FROM failed`,

    // A hand-back without penalty: only the status, due time and lease change.
    releaseJobs: `WITH released AS (
        UPDATE ${jobs} AS j
        SET status = 'pending', scheduled_at = $1, locked_until = NULL, locked_by = NULL
        FROM ${currentAttempts("$2", "$3", "$4", "$5")}
        RETURNING ${appliedRefs}
      ), notified AS (
        ${notifyQueues("released", "$6")}
      )
      SELECT id, queue, attempt, "lockedBy" FROM released WHERE (SELECT count(*) FROM notified) >= 0`,

    renewLeases: `UPDATE ${jobs} AS j SET locked_until = $1
      FROM ${currentAttempts("$2", "$3", "$4", "$5")}
      RETURNING ${appliedRefs}`,

    // Each expired job counts one more lost lease; one that had already lost $7 becomes dead
    // (keeping its last error, or taking this one) with its dead-letter job, in the same statement;
    // the others wait again at once.
    recoverExpiredLeases: `WITH expired AS (
        SELECT id, locked_until FROM ${jobs}
        WHERE status = 'running' AND locked_until <= $1
        ORDER BY locked_until, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ), recovered AS (
        UPDATE ${jobs} AS j
        SET status = CASE WHEN j.lost_leases >= $7::integer THEN 'dead' ELSE 'pending' END,
          lost_leases = j.lost_leases + 1,
          scheduled_at = CASE WHEN j.lost_leases >= $7::integer THEN j.scheduled_at ELSE $1 END,
          completed_at = CASE WHEN j.lost_leases >= $7::integer THEN $1::timestamptz END,
          error = CASE WHEN j.lost_leases >= $7::integer THEN coalesce(j.error, $4::text) ELSE j.error END,
          locked_until = NULL,
          locked_by = NULL,
          history = ${appendFailure("$4", "$3", "$5")}
        FROM expired WHERE j.id = expired.id
        RETURNING ${jobColumnsOf("j")}, expired.locked_until AS expired_at
      ), letters AS (
        ${insertDeadLetters(jobs, "recovered", {
          now: "$1",
          name: "$8",
          priority: "$9",
          maxRetries: "$10",
          timeout: "$11",
          metadataKey: "$12",
        })}
      ), notified AS (
        ${notifyQueues("(SELECT queue FROM recovered WHERE status = 'pending' UNION ALL SELECT queue FROM letters) AS woken", "$6")}
      )
      SELECT ${JOB_COLUMNS}, (SELECT count(*) FROM notified) >= 0 AS notified FROM recovered
      ORDER BY expired_at, id`,

    nextDueAt: `SELECT ${names.nextDueAt}($1, $2) AS next_due_at`,

    waitingJobNames: `SELECT ${names.waitingJobNames}($1, $2, $3, $4) AS names`,

    upsertSchedule: `INSERT INTO ${schedules} (${SCHEDULE_COLUMNS})
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
        next_run_at = excluded.next_run_at, last_run_at = excluded.last_run_at,
        occurrences = excluded.occurrences, created_at = excluded.created_at,
        updated_at = excluded.updated_at, defined_at = excluded.defined_at,
        defined_by = excluded.defined_by`,

    insertScheduleIfAbsent: `INSERT INTO ${schedules} (${SCHEDULE_COLUMNS})
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (name) DO NOTHING`,

    // The compare-and-set on the definition: a concurrent writer blocks on the row, then
    // re-evaluates the condition on the version the first one committed, finds another stamp and
    // writes nothing. So of writers that read the same stamp, exactly one succeeds.
    replaceScheduleIfDefinedAs: `UPDATE ${schedules}
      SET definition = $2, next_run_at = $3, last_run_at = $4, occurrences = $5, created_at = $6,
        updated_at = $7, defined_at = $8, defined_by = $9
      WHERE name = $1 AND defined_at = $10::timestamptz AND defined_by IS NOT DISTINCT FROM $11::text`,

    getSchedule: `SELECT ${SCHEDULE_COLUMNS} FROM ${schedules} WHERE name = $1`,

    listSchedules: `SELECT ${SCHEDULE_COLUMNS} FROM ${schedules} ORDER BY name`,

    deleteSchedule: `DELETE FROM ${schedules} WHERE name = $1`,

    // Compare-and-set and insert in one statement, hence one transaction: a concurrent firer
    // blocks on the schedule's row, then finds next_run_at changed and fires nothing. A job whose
    // unique key its queue already holds is skipped.
    fireScheduleTick: `WITH fired AS (
        UPDATE ${schedules}
        SET next_run_at = $3, last_run_at = $4, updated_at = $4, occurrences = occurrences + $5
        WHERE name = $1 AND next_run_at = $2
        RETURNING name
      ), inserted AS (
        INSERT INTO ${jobs} (${INSERT_JOB_COLUMNS})
        ${newJobRows("$6")}
        WHERE EXISTS (SELECT FROM fired)
        ON CONFLICT (queue, unique_key) WHERE unique_key IS NOT NULL AND ${ACTIVE} DO NOTHING
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

    // Read in the common case. When there is no epoch, one is created; of concurrent creators (a
    // conflict) each gets the row that won, which DO UPDATE reads even when it was committed after
    // this statement began, where a plain SELECT would not see it.
    epoch: `WITH existing AS (
        SELECT value FROM ${names.meta} WHERE name = 'epoch'
      ), created AS (
        INSERT INTO ${names.meta} AS meta (name, value)
        SELECT 'epoch', gen_random_uuid()::text WHERE NOT EXISTS (SELECT FROM existing)
        ON CONFLICT (name) DO UPDATE SET value = meta.value
        RETURNING value
      )
      SELECT value FROM existing UNION ALL SELECT value FROM created`,

    migrationsTableExists: "SELECT to_regclass($1::text) IS NOT NULL AS present",

    schemaVersion: `SELECT coalesce(max(version), 0) AS version FROM ${names.migrations}`,

    migrationLock: "SELECT pg_advisory_xact_lock($1::bigint)",

    schemaExists: "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS present",

    createSchema: `CREATE SCHEMA IF NOT EXISTS "${names.schema}"`,
  };
}
