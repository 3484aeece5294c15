-- @sched/store-postgres, migration 011: enqueues and completions are planned once per connection.
--
--   * The insert of new jobs (sql/insert-jobs.sql before this release) and the completion of a
--     batch of jobs (sql/complete-jobs.sql, sql/complete-and-remove-jobs.sql) were statements
--     sent with their parameters, so the server parsed and planned them on every call. Parsing
--     and planning cost more than running them for small batches: enqueueing one job, 0.29 ms to
--     parse and 0.69-1.06 ms to plan against 0.37 ms to run; completing a batch of about 150
--     jobs, 0.66 ms to parse and plan against 3.8 ms to run. They move unchanged into
--     create_jobs(), complete_jobs() and remove_completed_jobs(), whose plans are generic
--     (plan_cache_mode = force_generic_plan, as claim_jobs_all_queues in
--     010_generic_claim_plans.sql): made once per connection and kept until the tables'
--     statistics change. A generic plan does not know the batch size, so the completions are kept
--     from hash and merge joins and from sequential scans: each job is found through the primary
--     key. The fencing check of holds_lease() (004_statement_functions.sql) is written out as a
--     CASE, which the planner does not take apart: status = 'running' among the conditions would
--     let it read the partial indexes of running jobs (jobs_lease, jobs_running_group) instead,
--     and a generic plan made when statistics said few jobs run then scans, for every job of
--     the batch, each entry those indexes hold, the versions left by finished jobs included
--     until a vacuum (a completion of 450 jobs took 0.9 s that way in a trial).
--
-- Placeholders as in 001_init.sql. Three functions are added: quick on any table size, no lock on
-- the tables; instances of the previous release keep sending the statements, which still work.

-- Inserts new jobs (a JSON array or the columnar form of new_job_rows(), 009_direct_start.sql)
-- and wakes their queues on `channel` (none when NULL). Returns how many wake-ups were sent.
-- Fails with 23505 on a held unique key.
--
-- A job with a group gives its queue a row in the queues table (when it has none yet), so that its
-- groups rotate (see 005_queue_controls.sql). The NOT EXISTS reads the snapshot: once the row is
-- there, an enqueue never waits on a claim that holds it.
CREATE FUNCTION "{{schema}}"."{{prefix}}create_jobs"(jobs json, channel text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
AS $create_jobs$
DECLARE
  notified bigint;
BEGIN
  WITH inserted AS (
    INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
      max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key)
    SELECT * FROM "{{schema}}"."{{prefix}}new_job_rows"(jobs)
    RETURNING queue, group_key
  ), grouped AS (
    INSERT INTO "{{schema}}"."{{prefix}}queues" (name)
    SELECT DISTINCT i.queue FROM inserted AS i
    WHERE i.group_key IS NOT NULL
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = i.queue)
    ON CONFLICT (name) DO NOTHING
  ), arrived AS (
    -- The groups of the inserted jobs (re)join their queue's rotation at its next claim.
    INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
    SELECT DISTINCT i.queue, i.group_key FROM inserted AS i WHERE i.group_key IS NOT NULL
  )
  SELECT "{{schema}}"."{{prefix}}notify_queues"(channel, array(SELECT i.queue FROM inserted AS i))
  INTO notified;
  RETURN notified;
END
$create_jobs$;

-- Marks completed at complete_now the jobs of the refs (ids, queues, attempts and holders, one
-- per job) whose lease they hold (the fencing check of holds_lease(): only the attempt and holder
-- of a lease may record its outcome; written as a CASE, see above). Returns the refs completed.
CREATE FUNCTION "{{schema}}"."{{prefix}}complete_jobs"(
  complete_now timestamptz,
  ids text[],
  queues text[],
  attempts integer[],
  holders text[]
) RETURNS TABLE (id text, queue text, attempt integer, "lockedBy" text)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $complete_jobs$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  UPDATE "{{schema}}"."{{prefix}}jobs" AS j
  SET status = 'completed', completed_at = complete_now, locked_until = NULL, locked_by = NULL
  FROM "{{schema}}"."{{prefix}}job_refs"(ids, queues, attempts, holders) AS ref
  WHERE j.id = ref.id AND j.queue = ref.queue
    AND CASE WHEN j.status = 'running' THEN j.attempt = ref.attempt AND j.locked_by = ref.locked_by
      ELSE false END
  RETURNING j.id, j.queue, j.attempt, ref.locked_by;
END
$complete_jobs$;

-- Deletes the jobs of the refs whose lease they hold, fenced as complete_jobs(). Returns the refs
-- deleted.
CREATE FUNCTION "{{schema}}"."{{prefix}}remove_completed_jobs"(
  ids text[],
  queues text[],
  attempts integer[],
  holders text[]
) RETURNS TABLE (id text, queue text, attempt integer, "lockedBy" text)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $remove_completed$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  DELETE FROM "{{schema}}"."{{prefix}}jobs" AS j
  USING "{{schema}}"."{{prefix}}job_refs"(ids, queues, attempts, holders) AS ref
  WHERE j.id = ref.id AND j.queue = ref.queue
    AND CASE WHEN j.status = 'running' THEN j.attempt = ref.attempt AND j.locked_by = ref.locked_by
      ELSE false END
  RETURNING j.id, j.queue, j.attempt, ref.locked_by;
END
$remove_completed$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (11, '011_cached_statement_plans');
