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
-- Placeholders as in 001_init.sql. One function is added and one replaced (same arguments, same
-- result): quick on any table size, no lock on the tables; instances of the previous release call
-- the replaced one too.

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
  IF batch_size >= 1 AND json_array_length(jobs) = 1 THEN
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
