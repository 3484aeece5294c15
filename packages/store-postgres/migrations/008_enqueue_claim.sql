-- @sched/store-postgres, migration 008: an enqueue that also claims, in one statement.
--
--   * create_jobs_and_claim(): inserts new jobs as sql/insert-jobs.sql does, then claims as
--     claim_due_jobs() does (queue controls, fairness between groups and claim order included,
--     so an older job may be handed out rather than a new one), in one transaction. The runtime
--     uses it when an enqueue finds the workers of its instance idle: the new job starts after one
--     round trip instead of three (insert, wake-up, claim).
--
-- Placeholders as in 001_init.sql. Only a function is created: quick on any table size, no lock on
-- the tables, and instances of the previous release keep working during a rolling deploy.

-- Inserts `jobs` (a JSON array, see rows.ts#newJobsJson), claims up to batch_size due jobs of
-- job_names from queue_names (NULL: every name, every queue) for worker_id until lease_until, and
-- wakes on `channel` (unless null) the queues where a new job is left waiting. Returns the claimed
-- jobs. Fails with 23505 on a held unique key, before anything is claimed.
CREATE FUNCTION "{{schema}}"."{{prefix}}create_jobs_and_claim"(
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
  new_ids text[];
  new_queues text[];
  claimed "{{schema}}"."{{prefix}}jobs"[];
BEGIN
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

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (8, '008_enqueue_claim');
