-- @sched/store-postgres, migration 019: a claim over several queues shares its batch in claim
-- order, whether or not the queues have controls.
--
--   * claim_due_jobs() (005_queue_controls.sql) gave each queue with a row in the queues table
--     (controls, a push-back or grouped jobs), in name order, what the previous ones left of the
--     batch, and the queues without a row only what was left after them: a queue with a row and a
--     backlog took every claim, and the jobs of every other queue waited until it drained or its
--     limits held it back, a higher priority or an earlier scheduled_at notwithstanding.
--   * claim_shares() reads the first batch_size due jobs of all the queues of the claim in claim
--     order (priority, then scheduled_at, then id) without claiming them, over the same index
--     lanes as claim_jobs() (017_claim_rows_by_address.sql), and counts them per queue. Each
--     queue with a row then takes at most its count, the queues without a row take what is
--     left, and what is still left goes to the queues with a row again, in name order. A claim
--     of one queue alone skips the count.
--   * Locks: the first pass takes queue rows in name order, as before. The second pass may come
--     back to a queue whose name sorts before one it holds, so it only takes a row it can have at
--     once (FOR UPDATE SKIP LOCKED; one it already holds is its own): it never waits, so two
--     claimers never deadlock. A queue another claimer holds is being claimed from meanwhile.
--
-- Placeholders as in 001_init.sql. One function is added and one replaced (same arguments, same
-- result): quick on any table size, no lock on the tables; instances of the previous release
-- keep calling the replaced one, which then shares its batch the new way.

-- How many of the first batch_size due jobs with one of job_names (every waiting name when NULL)
-- of queue_names, in claim order, each queue holds. Reads without locking: a job another claimer
-- holds may be counted (the claim then takes fewer, and the rest of the batch goes elsewhere).
CREATE FUNCTION "{{schema}}"."{{prefix}}claim_shares"(
  claim_now timestamptz,
  batch_size integer,
  queue_names text[],
  job_names text[]
) RETURNS TABLE (queue text, jobs bigint)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET jit = off
AS $claim_shares$
BEGIN
  IF job_names IS NULL THEN
    job_names := "{{schema}}"."{{prefix}}waiting_names"(2147483647);
  END IF;
  RETURN QUERY
  WITH RECURSIVE lanes AS (
    SELECT q.queue, n.name FROM unnest(queue_names) AS q(queue) CROSS JOIN unnest(job_names) AS n(name)
  ), priorities AS (
    (SELECT head.priority FROM lanes CROSS JOIN LATERAL (
        SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = lanes.queue AND j.name = lanes.name
          AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC LIMIT 1
      ) AS head
      ORDER BY head.priority DESC LIMIT 1)
    UNION ALL
    SELECT next.priority FROM priorities CROSS JOIN LATERAL (
      SELECT head.priority FROM lanes CROSS JOIN LATERAL (
        SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = lanes.queue AND j.name = lanes.name
          AND j.status IN ('scheduled', 'pending', 'failed') AND j.priority < priorities.priority
        ORDER BY j.priority DESC LIMIT 1
      ) AS head
      ORDER BY head.priority DESC LIMIT 1
    ) AS next
  ), due AS (
    SELECT batch.queue FROM priorities CROSS JOIN LATERAL (
      SELECT c.queue FROM lanes CROSS JOIN LATERAL (
        SELECT j.queue, j.id, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = lanes.queue AND j.name = lanes.name
          AND j.status IN ('scheduled', 'pending', 'failed')
          AND j.priority = priorities.priority AND j.scheduled_at <= claim_now
        ORDER BY j.scheduled_at, j.id
        LIMIT batch_size
      ) AS c
      ORDER BY c.scheduled_at, c.id
      LIMIT batch_size
    ) AS batch
    LIMIT batch_size
  )
  SELECT due.queue, count(*) FROM due GROUP BY due.queue;
END
$claim_shares$;

-- Claims up to batch_size due jobs with one of job_names (every name when NULL), from every queue
-- (queue_names NULL) or the named ones, and leases them; returns them, each queue's in its claim
-- order. What every instance of this release calls.
--
-- Queues without a row in <prefix>queues go through claim_jobs (017_claim_rows_by_address.sql);
-- each queue with a row through claim_controlled_queue, first up to its share of the batch
-- (claim_shares above), in name order; then the queues without a row take what is left, and what
-- is still left goes to the queues with a row again, each taken only if its row is free (see the
-- head of this file).
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}claim_due_jobs"(
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[],
  job_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
SET jit = off
AS $claim_due$
DECLARE
  controlled text[];
  plain text[];
  queue_name text;
  remaining bigint := batch_size;
  claimed bigint;
  share_queues text[];
  share_counts bigint[];
  share bigint;
BEGIN
  IF queue_names IS NULL THEN
    IF NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues") THEN
      RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"(
        claim_now, batch_size, lease_until, worker_id, NULL, job_names)
      ORDER BY priority DESC, scheduled_at, id;
      RETURN;
    END IF;
    queue_names := "{{schema}}"."{{prefix}}waiting_queues"();
  END IF;
  SELECT array_agg(q.name ORDER BY q.name) FILTER (WHERE c.name IS NOT NULL),
    array_agg(q.name) FILTER (WHERE c.name IS NULL)
  INTO controlled, plain
  FROM (SELECT DISTINCT u.name COLLATE "C" AS name FROM unnest(queue_names) AS u(name)) AS q
  LEFT JOIN "{{schema}}"."{{prefix}}queues" AS c ON c.name = q.name;
  IF controlled IS NOT NULL THEN
    -- The claims below are committed asynchronously, as claim_jobs's (see 001_init.sql).
    PERFORM set_config('synchronous_commit', 'off', true);
    IF cardinality(controlled) + coalesce(cardinality(plain), 0) > 1 THEN
      SELECT array_agg(s.queue), array_agg(s.jobs) INTO share_queues, share_counts
      FROM "{{schema}}"."{{prefix}}claim_shares"(
        claim_now, batch_size, controlled || coalesce(plain, '{}'), job_names) AS s;
    END IF;
    FOREACH queue_name IN ARRAY controlled LOOP
      EXIT WHEN remaining <= 0;
      share := CASE WHEN share_queues IS NULL AND cardinality(controlled) = 1 THEN remaining
        ELSE coalesce(share_counts[array_position(share_queues, queue_name)], 0) END;
      CONTINUE WHEN share <= 0;
      RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_controlled_queue"(
        queue_name, claim_now, least(share, remaining)::integer, lease_until, worker_id, job_names);
      GET DIAGNOSTICS claimed = ROW_COUNT;
      remaining := remaining - claimed;
    END LOOP;
  END IF;
  IF plain IS NOT NULL AND remaining > 0 THEN
    RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"(
      claim_now, remaining::integer, lease_until, worker_id, plain, job_names)
    ORDER BY priority DESC, scheduled_at, id;
    GET DIAGNOSTICS claimed = ROW_COUNT;
    remaining := remaining - claimed;
  END IF;
  IF controlled IS NOT NULL AND remaining > 0 AND share_queues IS NOT NULL THEN
    FOREACH queue_name IN ARRAY controlled LOOP
      EXIT WHEN remaining <= 0;
      PERFORM FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = queue_name
      FOR UPDATE SKIP LOCKED;
      CONTINUE WHEN NOT FOUND;
      RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_controlled_queue"(
        queue_name, claim_now, remaining::integer, lease_until, worker_id, job_names);
      GET DIAGNOSTICS claimed = ROW_COUNT;
      remaining := remaining - claimed;
    END LOOP;
  END IF;
END
$claim_due$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (19, '019_claim_shares');
