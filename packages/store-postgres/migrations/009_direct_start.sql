-- @sched/store-postgres, migration 009: a job enqueued into an idle worker is inserted running.
--
--   * create_jobs_and_claim() (008_enqueue_claim.sql) gets a direct path: when it inserts one job
--     that the claim it goes on to make would hand out alone, the job is inserted already claimed
--     (status running, attempt 1, leased to the claimer) instead of inserted waiting and then
--     updated. One row version instead of two, 3 index entries instead of 9 and one count change
--     instead of two: the enqueue-to-start time of an idle worker falls by about a third.
--
--     "Alone" is checked, not assumed. The job must be due, without group, of a queue without a
--     row in <prefix>queues (no controls, no rotation), within the claim's queues and names, and
--     no other job of those queues and names may be waiting, due or not (jobs_waiting_in): the
--     claim would then have taken exactly this job, so the result is the same row, with the
--     same lease, attempt and counts. Otherwise the function does what 008 did.
--
--   * new_job_rows() (005_queue_controls.sql) also reads new jobs in a columnar form, which
--     rows.ts#newJobsJson sends for two jobs or more: { "c": the values every job shares,
--     "ix": the position in each row of each value that differs, "r": one array per job of its id,
--     its payload and those values }. A bulk insert then sends and parses about a fifth of the
--     text (20,000 jobs of one name: the insert took 233 ms instead of 306-335 ms here).
--
-- Placeholders as in 001_init.sql. One function is added and two replaced (same arguments, same
-- result, the former form still read): quick on any table size, no lock on the tables; instances
-- of the previous release call the replaced ones too.

-- New jobs as rows of the jobs table's columns, from either form of `jobs`: a JSON array of one
-- object per job (rows.ts#newJobsJson for one job, and every release before this one), or the
-- columnar object described above. A value in "ix" is a position in each row of "r"; a column
-- without one takes the value of "c" (json ->> with a null position is null, so coalesce falls
-- back to it; the columns that may be null in a row are read by position alone).
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}new_job_rows"(jobs json)
RETURNS TABLE (id text, name text, queue text, status text, priority integer, payload json,
  metadata json, max_retries integer, timeout_ms bigint, scheduled_at timestamptz,
  created_at timestamptz, unique_key text, group_key text)
LANGUAGE sql STABLE
AS $new_job_rows$
  SELECT t.id, t.name, t.queue, t.status, t.priority, t.payload, coalesce(t.metadata, '{}'),
    t.max_retries, t.timeout_ms, t.scheduled_at, t.created_at, t.unique_key, t.group_key
  FROM json_to_recordset(CASE WHEN json_typeof(jobs) = 'array' THEN jobs END) AS t(id text,
    name text, queue text, status text, priority integer, payload json, metadata json,
    max_retries integer, timeout_ms bigint, scheduled_at timestamptz, created_at timestamptz,
    unique_key text, group_key text)
  UNION ALL
  SELECT e ->> 0,
    coalesce(e ->> ix.name, c.name),
    coalesce(e ->> ix.queue, c.queue),
    coalesce(e ->> ix.status, c.status),
    coalesce((e ->> ix.priority)::integer, c.priority),
    -- A JSON null payload is stored as SQL NULL, as json_to_recordset gives it.
    CASE WHEN e ->> 1 IS NULL THEN NULL ELSE e -> 1 END,
    coalesce(e -> ix.metadata, c.metadata, '{}'),
    coalesce((e ->> ix.max_retries)::integer, c.max_retries),
    coalesce((e ->> ix.timeout_ms)::bigint, c.timeout_ms),
    coalesce((e ->> ix.scheduled_at)::timestamptz, c.scheduled_at),
    coalesce((e ->> ix.created_at)::timestamptz, c.created_at),
    CASE WHEN ix.unique_key IS NULL THEN c.unique_key ELSE e ->> ix.unique_key END,
    CASE WHEN ix.group_key IS NULL THEN c.group_key ELSE e ->> ix.group_key END
  -- OFFSET 0 keeps the parameter out of the planner's reach: the statement's plan would otherwise
  -- read the whole JSON text while planning (a constant once inlined), on top of the execution.
  FROM (SELECT jobs AS j OFFSET 0) AS src
    CROSS JOIN LATERAL json_to_record(CASE WHEN json_typeof(src.j) = 'object' THEN src.j -> 'c' END)
      AS c(name text, queue text, status text, priority integer, metadata json,
        max_retries integer, timeout_ms bigint, scheduled_at timestamptz, created_at timestamptz,
        unique_key text, group_key text)
    CROSS JOIN LATERAL json_to_record(CASE WHEN json_typeof(src.j) = 'object' THEN src.j -> 'ix' END)
      AS ix(name integer, queue integer, status integer, priority integer, metadata integer,
        max_retries integer, timeout_ms integer, scheduled_at integer, created_at integer,
        unique_key integer, group_key integer)
    CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(src.j) = 'object' THEN src.j -> 'r' END) AS e
$new_job_rows$;

-- Whether any job of job_names (every name when NULL) in queue_names (every queue when NULL) is
-- waiting (scheduled, pending or failed), due or not: one descent of claim_name, claim_queue_name
-- or claim_group per name or queue, to its first entry. Index scans are pinned, as in claim_jobs
-- (001_init.sql): statistics taken during a backlog that has since drained would otherwise make
-- a sequential scan of the whole table (finished jobs included) look cheap.
CREATE FUNCTION "{{schema}}"."{{prefix}}jobs_waiting_in"(queue_names text[], job_names text[])
RETURNS boolean
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $waiting_in$
BEGIN
  IF queue_names IS NULL AND job_names IS NULL THEN
    RETURN EXISTS (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('scheduled', 'pending', 'failed'));
  ELSIF queue_names IS NULL THEN
    RETURN EXISTS (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.name = ANY (job_names) AND j.status IN ('scheduled', 'pending', 'failed'));
  ELSIF job_names IS NULL THEN
    RETURN EXISTS (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.queue = ANY (queue_names) AND j.status IN ('scheduled', 'pending', 'failed'));
  END IF;
  RETURN EXISTS (
    SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
    WHERE j.queue = ANY (queue_names) AND j.name = ANY (job_names)
      AND j.status IN ('scheduled', 'pending', 'failed'));
END
$waiting_in$;

CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}create_jobs_and_claim"(
  jobs json,
  channel text,
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[],
  job_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
AS $create_and_claim$
DECLARE
  -- The claim commits without waiting for the WAL flush (see claim_jobs in 001_init.sql); the new
  -- jobs must not: the setting the transaction began with is put back before it commits.
  commit_mode text := current_setting('synchronous_commit');
  new_job record;
  waiting boolean;
  new_ids text[];
  new_queues text[];
  claimed "{{schema}}"."{{prefix}}jobs"[];
BEGIN
  -- One job comes as an array of one (see new_job_rows below for the form of many).
  IF batch_size >= 1 AND json_typeof(jobs) = 'array' AND json_array_length(jobs) = 1 THEN
    SELECT * INTO new_job FROM "{{schema}}"."{{prefix}}new_job_rows"(jobs);
    IF new_job.status = 'pending' AND new_job.scheduled_at <= claim_now
      AND new_job.group_key IS NULL
      AND (job_names IS NULL OR new_job.name = ANY (job_names))
      AND (queue_names IS NULL OR new_job.queue = ANY (queue_names))
      AND NOT EXISTS (
        SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = new_job.queue
      )
    THEN
      waiting := "{{schema}}"."{{prefix}}jobs_waiting_in"(queue_names, job_names);
      IF NOT waiting THEN
        -- Committed with the server's synchronous_commit, as every insert of a job.
        RETURN QUERY
        INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload,
          metadata, max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key,
          attempt, started_at, locked_until, locked_by)
        VALUES (new_job.id, new_job.name, new_job.queue, 'running', new_job.priority,
          new_job.payload, new_job.metadata, new_job.max_retries, new_job.timeout_ms,
          new_job.scheduled_at, new_job.created_at, new_job.unique_key, NULL,
          1, claim_now, lease_until, worker_id)
        RETURNING *;
        RETURN;
      END IF;
    END IF;
  END IF;

  WITH inserted AS (
    INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
      max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key)
    SELECT * FROM "{{schema}}"."{{prefix}}new_job_rows"(jobs)
    RETURNING id, queue, group_key
  ), grouped AS (
    INSERT INTO "{{schema}}"."{{prefix}}queues" (name)
    SELECT DISTINCT i.queue FROM inserted AS i
    WHERE i.group_key IS NOT NULL
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = i.queue)
    ON CONFLICT (name) DO NOTHING
  ), arrived AS (
    INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
    SELECT DISTINCT i.queue, i.group_key FROM inserted AS i WHERE i.group_key IS NOT NULL
  )
  SELECT array_agg(i.id), array_agg(i.queue) INTO new_ids, new_queues FROM inserted AS i;
  -- A statement of its own: it sees the rows inserted above.
  claimed := array(
    SELECT c FROM "{{schema}}"."{{prefix}}claim_due_jobs"(
      claim_now, batch_size, lease_until, worker_id, queue_names, job_names) AS c
  );
  PERFORM set_config('synchronous_commit', commit_mode, true);
  PERFORM "{{schema}}"."{{prefix}}notify_queues"(channel, array(
    SELECT n.queue FROM unnest(new_ids, new_queues) AS n(id, queue)
    WHERE NOT EXISTS (SELECT FROM unnest(claimed) AS c WHERE c.id = n.id)
  ));
  RETURN QUERY SELECT * FROM unnest(claimed);
END
$create_and_claim$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (9, '009_direct_start');
