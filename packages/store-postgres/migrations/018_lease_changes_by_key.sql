-- @sched/store-postgres, migration 018: lease renewals and releases find each job by primary key,
-- in the order of the refs.
--
--   * sql/renew-leases.sql and sql/release-jobs.sql were statements planned on every call, with
--     the fencing check of holds_lease() (004_statement_functions.sql) inlined: status = 'running'
--     among their conditions let the planner read the partial index of running jobs
--     (jobs_running_group) first, in its order, or for each ref. On a table analysed while no job
--     ran (statistics on which that index looks empty) the update read every running job and
--     locked the refs' rows in the index's order, not in the order of the refs (by id, see
--     src/job-refs.ts) in which a completion (complete_jobs(), 011_cached_statement_plans.sql)
--     locks them. A renewal or a release and a completion of the same jobs on two connections
--     could then deadlock, one of them failing with 40P01; a paused instance that resumed renewed
--     and acknowledged the same jobs at once that way.
--   * renew_leases() and release_jobs() run them as complete_jobs() runs a completion: a generic
--     plan, made once per connection, without hash or merge joins or sequential scans, the
--     fencing check written as a CASE. Each job is found through jobs_pkey, in the order of the
--     refs, whatever the statistics say; the cost of a renewal no longer grows with the number of
--     jobs running.
--   * Both have `SET jit = off` (013_no_jit.sql).
--
-- Placeholders as in 001_init.sql. Two functions are added, no table changes: quick on any table
-- size; instances of the previous release keep sending the statements, which still work.

-- Extends to lease_until the leases of the refs (ids, queues, attempts and holders, one per job)
-- that they still hold. Returns the refs renewed.
CREATE FUNCTION "{{schema}}"."{{prefix}}renew_leases"(
  lease_until timestamptz,
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
SET jit = off
AS $renew_leases$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  UPDATE "{{schema}}"."{{prefix}}jobs" AS j SET locked_until = lease_until
  FROM "{{schema}}"."{{prefix}}job_refs"(ids, queues, attempts, holders) AS ref
  WHERE j.id = ref.id AND j.queue = ref.queue
    AND CASE WHEN j.status = 'running' THEN j.attempt = ref.attempt AND j.locked_by = ref.locked_by
      ELSE false END
  RETURNING j.id, j.queue, j.attempt, ref.locked_by;
END
$renew_leases$;

-- Hands back without penalty (pending again, due at release_now, no lease) the jobs of the refs
-- whose lease they hold, and wakes their queues on `channel` (none when NULL). Returns the refs
-- released.
CREATE FUNCTION "{{schema}}"."{{prefix}}release_jobs"(
  release_now timestamptz,
  ids text[],
  queues text[],
  attempts integer[],
  holders text[],
  channel text
) RETURNS TABLE (id text, queue text, attempt integer, "lockedBy" text)
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $release_jobs$
#variable_conflict use_column
DECLARE
  released_ids text[];
  released_queues text[];
  released_attempts integer[];
  released_holders text[];
BEGIN
  WITH released AS (
    UPDATE "{{schema}}"."{{prefix}}jobs" AS j
    SET status = 'pending', scheduled_at = release_now, locked_until = NULL, locked_by = NULL
    FROM "{{schema}}"."{{prefix}}job_refs"(ids, queues, attempts, holders) AS ref
    WHERE j.id = ref.id AND j.queue = ref.queue
      AND CASE WHEN j.status = 'running' THEN j.attempt = ref.attempt AND j.locked_by = ref.locked_by
        ELSE false END
    RETURNING j.id, j.queue, j.attempt, ref.locked_by
  )
  SELECT array_agg(r.id), array_agg(r.queue), array_agg(r.attempt), array_agg(r.locked_by)
  INTO released_ids, released_queues, released_attempts, released_holders
  FROM released AS r;
  PERFORM "{{schema}}"."{{prefix}}notify_queues"(channel, released_queues);
  RETURN QUERY SELECT * FROM unnest(released_ids, released_queues, released_attempts, released_holders);
END
$release_jobs$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (18, '018_lease_changes_by_key');
