-- @sched/store-postgres, migration 014: the waiting check of an enqueue into an idle worker is
-- one index descent per lane, planned once per connection.
--
--   * jobs_waiting_in() (009_direct_start.sql) runs in every enqueue of one job that an idle
--     worker claims in the same round trip (create_jobs_and_claim). Its statements take arrays,
--     which plpgsql planned for the values of each call five times, then kept planning that way
--     or went over to a generic plan, by the estimated costs. Neither was good:
--       - kept custom plans cost about 0.19 ms a transaction to make (the planner weighs each of
--         the jobs table's eleven indexes), against 5 us to run;
--       - the generic plan of an EXISTS over `name = ANY ($n)` or `queue = ANY ($n)`, planned for
--         a first row found at once, took the first waiting job of any lane from
--         jobs_list_status and filtered it by name and queue: behind a backlog of other names or
--         queues, every such enqueue read every waiting job (100,000 waiting jobs of other
--         names: 20-26 ms an enqueue instead of 2 ms, measured in a trial).
--   * Each lane (a name, a queue, or a queue and a name) is now looked at alone, for its first job
--     in the order of a claim index, LIMIT 1, in plans made once per connection
--     (plan_cache_mode = force_generic_plan, as claim_jobs_all_queues in
--     010_generic_claim_plans.sql) and kept until the table's statistics change. The form of each
--     statement leaves the generic plan one index to descend, whatever the statistics:
--       - a name: claim_name, ordered by (priority DESC, scheduled_at, id) after the name;
--       - every lane: claim_name, ordered by (name, priority DESC, scheduled_at, id);
--       - a queue: claim_queue_name, ordered by the queue first. The queue is matched as a range
--         of one value (queue >= $q AND queue <= $q), not by equality: an equality makes the
--         queue a constant that orders nothing, and claim_name (which has no queue) then serves
--         the order of names just as well; a plan made on statistics that saw one queue cannot
--         tell them apart, and took claim_name filtered by queue, reading every waiting job of
--         the other queues;
--       - a queue and a name: claim_queue_name, by equality on both, so that the descent is
--         bounded by the name too (a range on the queue would not let PostgreSQL 15 bound it by
--         the name: every waiting job of the queue with other names would be read). claim_name
--         serves the same order by its name alone, so the queue is also matched by a redundant
--         range (queue >= $q): an index condition of claim_queue_name that claim_name can only
--         filter by, which makes claim_queue_name the cheaper of the two on any statistics (the
--         range is dropped when the scan starts, as the equality implies it).
--     Any other index could give that order only by sorting every job it reads.
--   * The index scans stay pinned as before, and the function keeps `SET jit = off`
--     (013_no_jit.sql).
--
-- Placeholders as in 001_init.sql. One function is replaced (same arguments, same result): quick
-- on any table size, no lock on the tables; instances of the previous release call it too.

-- Whether any job of job_names (every name when NULL) in queue_names (every queue when NULL) is
-- waiting (scheduled, pending or failed), due or not: one descent of a claim index per lane.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}jobs_waiting_in"(queue_names text[], job_names text[])
RETURNS boolean
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $waiting_in$
BEGIN
  IF queue_names IS NULL AND job_names IS NULL THEN
    PERFORM FROM "{{schema}}"."{{prefix}}jobs" AS j
    WHERE j.status IN ('scheduled', 'pending', 'failed')
    ORDER BY j.name, j.priority DESC, j.scheduled_at, j.id LIMIT 1;
  ELSIF queue_names IS NULL THEN
    PERFORM FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
    ) AS head
    LIMIT 1;
  ELSIF job_names IS NULL THEN
    PERFORM FROM unnest(queue_names) AS q(queue) CROSS JOIN LATERAL (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.queue >= q.queue AND j.queue <= q.queue
        AND j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.queue, j.name, j.priority DESC, j.scheduled_at, j.id LIMIT 1
    ) AS head
    LIMIT 1;
  ELSE
    PERFORM FROM unnest(queue_names) AS q(queue) CROSS JOIN unnest(job_names) AS n(name)
    CROSS JOIN LATERAL (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.queue = q.queue AND j.queue >= q.queue AND j.name = n.name
        AND j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
    ) AS head
    LIMIT 1;
  END IF;
  RETURN FOUND;
END
$waiting_in$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (14, '014_generic_waiting_check');
