-- @sched/store-postgres, migration 002: the exact job life of @sched/core's Store contract.
--
--   * jobs.lost_leases: leases that expired while the job ran, counted on their own (filled in
--     below for existing rows);
--   * payload and metadata of jobs, and definition of schedules, become `json`, which keeps the
--     text as given (object key order included); `jsonb` reorders keys. `history` stays `jsonb`:
--     failures are appended to it with jsonb functions, and it is read by field;
--   * unique keys are unique per queue: the unique index is on (queue, unique_key);
--   * claims, nextDueAt and waitingJobNames go by job name: the claim indexes become "lanes",
--     (name, ...) and (queue, name, ...), so that a claim for some names never walks past jobs
--     of the others.
--
-- Placeholders as in 001_init.sql. The ALTER TABLE of the jobs table rewrites it and rebuilds its
-- indexes under an ACCESS EXCLUSIVE lock: on a large table, run it when the queue is quiet.

-- The indexes the lanes replace (dropped first, so the rewrite below does not rebuild them), and
-- the unique index, rebuilt on (queue, unique_key).
DROP INDEX "{{schema}}"."{{prefix}}jobs_claim_all";
DROP INDEX "{{schema}}"."{{prefix}}jobs_claim_queue";
DROP INDEX "{{schema}}"."{{prefix}}jobs_unique_key";

-- One rewrite of the table for every column change. The defaults are dropped and set again
-- around the type change because a jsonb default is not converted on its own. Names compare
-- bytewise from now on, as ids, queues and unique keys already do (the claim lanes lead with them).
ALTER TABLE "{{schema}}"."{{prefix}}jobs"
  ADD COLUMN lost_leases integer NOT NULL DEFAULT 0,
  ALTER COLUMN name TYPE text COLLATE "C",
  ALTER COLUMN payload TYPE json USING payload::json,
  ALTER COLUMN metadata DROP DEFAULT,
  ALTER COLUMN metadata TYPE json USING metadata::json,
  ALTER COLUMN metadata SET DEFAULT '{}';

-- Lost leases of the jobs already there. Release 1 counted none, and inferred them at claim time
-- as attempt - 1 - retry_count (claims that ended neither in success nor in a failure); every
-- lease it recovered left a history entry "lease expired". Take the smaller of the two: the
-- inference (attempt - retry_count for a job waiting for its next claim, one less for a job
-- whose last claim ran or is running) and the count of those entries. Both are exact for a job
-- never requeued whose history is complete; a requeue (which reset retry_count but kept history)
-- makes both too high and a history cut at 25 entries makes the count too low, so the minimum is
-- the best estimate. Only rows with such an entry can have lost a lease.
UPDATE "{{schema}}"."{{prefix}}jobs" AS j
SET lost_leases = least(
  greatest(
    j.attempt - j.retry_count - CASE WHEN j.status IN ('running', 'completed', 'dead') THEN 1 ELSE 0 END,
    0
  ),
  (SELECT count(*) FROM jsonb_array_elements(j.history) AS failure(entry)
    WHERE failure.entry ->> 'error' = 'lease expired')
)
WHERE j.history @> '[{"error": "lease expired"}]';

-- Claim lanes: the waiting jobs of each name (claims from every queue) and of each queue and name
-- (claims from named queues), in claim order. Only waiting rows are indexed, as in 001.
CREATE INDEX "{{prefix}}jobs_claim_name"
  ON "{{schema}}"."{{prefix}}jobs" (name, priority DESC, scheduled_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed');

CREATE INDEX "{{prefix}}jobs_claim_queue_name"
  ON "{{schema}}"."{{prefix}}jobs" (queue, name, priority DESC, scheduled_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed');

-- One job in an active status per unique key and queue. Same name as in 001, so that the
-- previous release, still running during a rolling deploy, recognises its violations.
CREATE UNIQUE INDEX "{{prefix}}jobs_unique_key"
  ON "{{schema}}"."{{prefix}}jobs" (queue, unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('scheduled', 'pending', 'running', 'failed');

ALTER TABLE "{{schema}}"."{{prefix}}schedules"
  ALTER COLUMN definition TYPE json USING definition::json;

-- The distinct names of waiting jobs, in name order, at most max_names of them: a loose index
-- scan of jobs_claim_name, one index descent per name, however many jobs each has. For the
-- functions below (job_names NULL stands for every name); plan pinned as theirs.
CREATE FUNCTION "{{schema}}"."{{prefix}}waiting_names"(max_names integer)
RETURNS text[]
LANGUAGE sql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $names$
  WITH RECURSIVE names AS (
    (SELECT j.name, 1 AS n FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.name LIMIT 1)
    UNION ALL
    SELECT next.name, names.n + 1 FROM names CROSS JOIN LATERAL (
      SELECT j.name FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('scheduled', 'pending', 'failed') AND j.name > names.name
      ORDER BY j.name LIMIT 1
    ) AS next
    WHERE names.n < max_names
  )
  SELECT coalesce(array_agg(names.name), '{}') FROM names
$names$;

-- Claims up to batch_size due jobs in claim order (priority desc, scheduled_at, id), with one of
-- job_names (every name when NULL), from every queue (queue_names NULL) or the named ones, skipping
-- rows other claimers hold, and leases them. Returns the claimed jobs (in no particular order).
--
-- A function for the reason given in 001_init.sql: the SET clauses pin the plan to ordered index
-- scans whatever the statistics say. Each name (or queue and name) is a lane of its own index
-- range; per priority, highest first (a loose index scan over the lanes), the due jobs of every
-- lane are merged in (scheduled_at, id) order, and the outer LIMIT stops at the first batch_size.
-- Jobs of other names are never read, so a backlog no instance here can run costs nothing. Each
-- lane costs one index descent per distinct priority: a handful of names and priorities is cheap.
-- A claim for one name from every queue (a worker with one handler) has a path of its own, the
-- same scan without the merge, which is as cheap as release 1's claim over every name.
CREATE FUNCTION "{{schema}}"."{{prefix}}claim_jobs"(
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[],
  job_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $claim$
DECLARE
  job_name text;
BEGIN
  -- Commit the claim without waiting for the WAL flush (see 001_init.sql).
  PERFORM set_config('synchronous_commit', 'off', true);
  IF job_names IS NULL THEN
    job_names := "{{schema}}"."{{prefix}}waiting_names"(2147483647);
  END IF;
  IF queue_names IS NULL AND cardinality(job_names) = 1 THEN
    job_name := job_names[1];
    RETURN QUERY
    WITH RECURSIVE priorities AS (
      (SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.name = job_name AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC LIMIT 1)
      UNION ALL
      SELECT next.priority FROM priorities CROSS JOIN LATERAL (
        SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.name = job_name AND j.status IN ('scheduled', 'pending', 'failed')
          AND j.priority < priorities.priority
        ORDER BY j.priority DESC LIMIT 1
      ) AS next
    ), due AS (
      SELECT head.id FROM priorities CROSS JOIN LATERAL (
        SELECT j.id FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.name = job_name AND j.status IN ('scheduled', 'pending', 'failed')
          AND j.priority = priorities.priority AND j.scheduled_at <= claim_now
        ORDER BY j.scheduled_at, j.id
        LIMIT batch_size
        FOR UPDATE SKIP LOCKED
      ) AS head
      LIMIT batch_size
    )
    UPDATE "{{schema}}"."{{prefix}}jobs" AS j
    SET status = 'running', attempt = j.attempt + 1, started_at = claim_now,
      locked_until = lease_until, locked_by = worker_id
    FROM due WHERE j.id = due.id
    RETURNING j.*;
  ELSIF queue_names IS NULL THEN
    -- Several names: per priority, the due jobs of each name merged in (scheduled_at, id) order.
    RETURN QUERY
    WITH RECURSIVE priorities AS (
      (SELECT head.priority FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
          SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
          ORDER BY j.priority DESC LIMIT 1
        ) AS head
        ORDER BY head.priority DESC LIMIT 1)
      UNION ALL
      SELECT next.priority FROM priorities CROSS JOIN LATERAL (
        SELECT head.priority FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
          SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
            AND j.priority < priorities.priority
          ORDER BY j.priority DESC LIMIT 1
        ) AS head
        ORDER BY head.priority DESC LIMIT 1
      ) AS next
    ), due AS (
      SELECT batch.id FROM priorities CROSS JOIN LATERAL (
        SELECT c.id FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
          SELECT j.id, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
            AND j.priority = priorities.priority AND j.scheduled_at <= claim_now
          ORDER BY j.scheduled_at, j.id
          LIMIT batch_size
          FOR UPDATE SKIP LOCKED
        ) AS c
        ORDER BY c.scheduled_at, c.id
        LIMIT batch_size
      ) AS batch
      LIMIT batch_size
    )
    UPDATE "{{schema}}"."{{prefix}}jobs" AS j
    SET status = 'running', attempt = j.attempt + 1, started_at = claim_now,
      locked_until = lease_until, locked_by = worker_id
    FROM due WHERE j.id = due.id
    RETURNING j.*;
  ELSE
    -- The same over the lanes of every named queue and name.
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
      SELECT batch.id FROM priorities CROSS JOIN LATERAL (
        SELECT c.id FROM lanes CROSS JOIN LATERAL (
          SELECT j.id, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.queue = lanes.queue AND j.name = lanes.name
            AND j.status IN ('scheduled', 'pending', 'failed')
            AND j.priority = priorities.priority AND j.scheduled_at <= claim_now
          ORDER BY j.scheduled_at, j.id
          LIMIT batch_size
          FOR UPDATE SKIP LOCKED
        ) AS c
        ORDER BY c.scheduled_at, c.id
        LIMIT batch_size
      ) AS batch
      LIMIT batch_size
    )
    UPDATE "{{schema}}"."{{prefix}}jobs" AS j
    SET status = 'running', attempt = j.attempt + 1, started_at = claim_now,
      locked_until = lease_until, locked_by = worker_id
    FROM due WHERE j.id = due.id
    RETURNING j.*;
  END IF;
END
$claim$;

-- The earliest due time of each lane (name, or queue and name) with waiting jobs, found as in
-- 001's next_due_at: the first entry of each priority of a lane is its earliest job there, so one
-- index descent per lane and distinct priority. Shared by next_due_at and waiting_job_names.
CREATE FUNCTION "{{schema}}"."{{prefix}}lane_heads"(queue_names text[], job_names text[])
RETURNS TABLE (name text, next_due_at timestamptz)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $heads$
BEGIN
  IF queue_names IS NULL THEN
    RETURN QUERY
    WITH RECURSIVE heads AS (
      SELECT n.name, head.priority, head.scheduled_at
      FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS head
      UNION ALL
      SELECT heads.name, next.priority, next.scheduled_at FROM heads CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.name = heads.name AND j.status IN ('scheduled', 'pending', 'failed')
          AND j.priority < heads.priority
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS next
    )
    SELECT heads.name, min(heads.scheduled_at) FROM heads GROUP BY heads.name;
  ELSE
    RETURN QUERY
    WITH RECURSIVE heads AS (
      SELECT q.queue, n.name, head.priority, head.scheduled_at
      FROM unnest(queue_names) AS q(queue) CROSS JOIN unnest(job_names) AS n(name) CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = q.queue AND j.name = n.name AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS head
      UNION ALL
      SELECT heads.queue, heads.name, next.priority, next.scheduled_at FROM heads CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = heads.queue AND j.name = heads.name
          AND j.status IN ('scheduled', 'pending', 'failed') AND j.priority < heads.priority
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS next
    )
    SELECT heads.name, min(heads.scheduled_at) FROM heads GROUP BY heads.name;
  END IF;
END
$heads$;

-- The earliest scheduled_at of a waiting job with one of job_names (every name when NULL), in
-- every queue (queue_names NULL) or the named ones.
CREATE FUNCTION "{{schema}}"."{{prefix}}next_due_at"(queue_names text[], job_names text[])
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $next_due$
DECLARE
  earliest timestamptz;
BEGIN
  IF job_names IS NULL THEN
    job_names := "{{schema}}"."{{prefix}}waiting_names"(2147483647);
  END IF;
  SELECT min(heads.next_due_at) INTO earliest
  FROM "{{schema}}"."{{prefix}}lane_heads"(queue_names, job_names) AS heads;
  RETURN earliest;
END
$next_due$;

-- The distinct names of waiting jobs due by due_by, in every queue (queue_names NULL) or the named
-- ones, at most max_names of them. Bounded whatever the backlog: it looks at the first
-- max_lanes names of waiting jobs only, and at one entry per lane and priority.
CREATE FUNCTION "{{schema}}"."{{prefix}}waiting_job_names"(
  queue_names text[],
  due_by timestamptz,
  max_names integer,
  max_lanes integer
) RETURNS text[]
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $waiting$
DECLARE
  found text[];
BEGIN
  SELECT coalesce(array_agg(due.name), '{}') INTO found FROM (
    SELECT heads.name
    FROM "{{schema}}"."{{prefix}}lane_heads"(
      queue_names, "{{schema}}"."{{prefix}}waiting_names"(max_lanes)) AS heads
    WHERE heads.next_due_at <= due_by
    LIMIT max_names
  ) AS due;
  RETURN found;
END
$waiting$;

-- The functions of release 1 (migration 001), kept for its instances still running during a
-- rolling deploy: they claim every name, as that release did, through the new lanes. A later
-- migration drops them.
CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}claim_jobs"(
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE sql VOLATILE
AS $claim_v1$
  SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"(claim_now, batch_size, lease_until, worker_id, queue_names, NULL)
$claim_v1$;

CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}next_due_at"(queue_names text[])
RETURNS timestamptz
LANGUAGE sql STABLE
AS $next_due_v1$
  SELECT "{{schema}}"."{{prefix}}next_due_at"(queue_names, NULL)
$next_due_v1$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (2, '002_job_life');
