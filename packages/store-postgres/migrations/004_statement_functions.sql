-- @sched/store-postgres, migration 004: the pieces several statements share, as functions, so that
-- each statement in the package's sql/ folder is written once and each rule is written once.
--
--   * new_jobs: the rows of new jobs read from one JSON array (enqueues and schedule ticks);
--   * holds_unique_key: the statuses in which a job holds its unique key (the unique index
--     covers exactly these rows);
--   * job_refs and holds_lease: a batch of job refs, and the fencing check of a ref against the
--     job's row (only the attempt and holder of the lease may record its outcome);
--   * history_with_failure: a job's failure history with one more failure appended;
--   * notify_queues: one wake-up per distinct queue;
--   * after_failures: the dead-letter jobs of jobs that became dead, and the wake-ups of the
--     queues where failures made jobs due.
--
-- The functions of one line (new_jobs, holds_unique_key, job_refs, holds_lease) are plain
-- `LANGUAGE sql` that PostgreSQL inlines into the calling statement: plans stay those of the
-- statements written out, index use included. The others run once per statement or per failed
-- job. Only functions are created or replaced: quick on any table size, no lock on the tables,
-- and instances of the previous release keep working during a rolling deploy.
--
-- Placeholders as in 001_init.sql.

-- Rows of new jobs from a JSON array of objects (see rows.ts#newJobsJson), in the column order
-- of the INSERTs that read them.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}new_jobs"(jobs json)
RETURNS TABLE (id text, name text, queue text, status text, priority integer, payload json,
  metadata json, max_retries integer, timeout_ms bigint, scheduled_at timestamptz,
  created_at timestamptz, unique_key text)
LANGUAGE sql STABLE
AS $new_jobs$
  SELECT t.id, t.name, t.queue, t.status, t.priority, t.payload, coalesce(t.metadata, '{}'),
    t.max_retries, t.timeout_ms, t.scheduled_at, t.created_at, t.unique_key
  FROM json_to_recordset(jobs) AS t(id text, name text, queue text, status text,
    priority integer, payload json, metadata json, max_retries integer, timeout_ms bigint,
    scheduled_at timestamptz, created_at timestamptz, unique_key text)
$new_jobs$;

-- Whether a job in `status` holds its unique key: the predicate of the unique index
-- "{{prefix}}jobs_unique_key" (an ON CONFLICT clause must still spell it out to match the index).
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}holds_unique_key"(status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $holds_unique_key$
  SELECT status IN ('scheduled', 'pending', 'running', 'failed')
$holds_unique_key$;

-- A batch of job refs from four arrays of the same length: ids, queues, attempts and holders.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}job_refs"(
  ids text[],
  queues text[],
  attempts integer[],
  holders text[]
) RETURNS TABLE (id text, queue text, attempt integer, locked_by text)
LANGUAGE sql IMMUTABLE
AS $job_refs$
  SELECT * FROM unnest(ids, queues, attempts, holders)
$job_refs$;

-- The fencing check: the job (its status, attempt and holder) is running under the lease of
-- `attempt` held by `holder`. The attempt alone is not enough: a claim lost in a crash of the
-- server (claims commit asynchronously) hands the same attempt number out again, maybe to another
-- instance; the holder tells the two leases apart.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}holds_lease"(
  job_status text,
  job_attempt integer,
  job_holder text,
  attempt integer,
  holder text
) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $holds_lease$
  SELECT job_status = 'running' AND job_attempt = attempt AND job_holder = holder
$holds_lease$;

-- `history` with the failure of `attempt` appended, keeping the last `max_entries` entries (the
-- runtime's MAX_HISTORY). `failed_at` is ISO 8601 text, as the runtime writes it.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}history_with_failure"(
  history jsonb,
  attempt integer,
  error text,
  failed_at text,
  max_entries integer
) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $history$
  SELECT coalesce(jsonb_agg(kept.entry ORDER BY kept.position), '[]'::jsonb)
  FROM jsonb_array_elements(history || jsonb_build_array(jsonb_build_object(
    'attempt', attempt, 'error', error, 'failedAt', failed_at)))
    WITH ORDINALITY AS kept(entry, position)
  WHERE kept.position > jsonb_array_length(history) + 1 - max_entries
$history$;

-- Sends one wake-up per distinct queue of `queues` on `channel`, unless `channel` is null. The
-- payload is the queue name (see notifications.ts). Returns how many were sent. PL/pgSQL, whose
-- plan is kept for the session: it runs once in every statement that makes jobs available.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}notify_queues"(channel text, queues text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $notify$
DECLARE
  woken text;
  sent bigint := 0;
BEGIN
  IF channel IS NULL THEN
    RETURN 0;
  END IF;
  FOR woken IN SELECT DISTINCT q.queue FROM unnest(queues) AS q(queue) LOOP
    PERFORM pg_notify(channel, woken);
    sent := sent + 1;
  END LOOP;
  RETURN sent;
END
$notify$;

-- What follows failures, given `jobs` (a JSON array of the failed jobs' id, queue, name, status and
-- attempt, as they are after the update): inserts the dead-letter job of each job that became
-- dead, unless `letter_name` is null or the job is itself a dead-letter job (named so), and wakes
-- on `channel` (unless null) the queues of the jobs due again (failed or pending) and of the dead
-- letters inserted. Returns how many wake-ups were sent.
--
-- A dead letter is core's deadLetterJob(dead, options, now): id `<id>:dead:<attempt>` (core's
-- deadLetterJobId), the dead job's queue, pending at `dead_at`, no payload, metadata
-- `{ [metadata_key]: <id> }`, no unique key. One inserted before (the same death recorded twice)
-- is left alone.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}after_failures"(
  jobs json,
  channel text,
  dead_at timestamptz,
  letter_name text,
  letter_priority integer,
  letter_max_retries integer,
  letter_timeout_ms bigint,
  metadata_key text
) RETURNS bigint
LANGUAGE sql VOLATILE
AS $after_failures$
  WITH failed AS (
    SELECT * FROM json_to_recordset(jobs) AS f(id text, queue text, name text, status text, attempt integer)
  ), letters AS (
    INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
      max_retries, timeout_ms, scheduled_at, created_at, unique_key)
    SELECT dead.id || ':dead:' || dead.attempt, letter_name, dead.queue, 'pending', letter_priority,
      NULL, json_build_object(metadata_key, dead.id), letter_max_retries, letter_timeout_ms, dead_at,
      dead_at, NULL
    FROM failed AS dead
    WHERE dead.status = 'dead' AND letter_name IS NOT NULL AND dead.name <> letter_name
    ON CONFLICT (id) DO NOTHING
    RETURNING queue
  )
  SELECT "{{schema}}"."{{prefix}}notify_queues"(channel, array(
    SELECT queue FROM failed WHERE status IN ('failed', 'pending') UNION ALL SELECT queue FROM letters))
$after_failures$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (4, '004_statement_functions');
