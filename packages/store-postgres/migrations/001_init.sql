-- @sched/store-postgres, migration 001: jobs (with the claim functions), schedules, leader locks,
-- and the migrations table.
--
-- Placeholders: {{schema}} is the schema and {{prefix}} the table prefix (default "scheduler_").
-- `store.migrate()` substitutes them after validating both as plain lowercase identifiers; they
-- always appear inside double quotes here. Teams that run their own migrations substitute them
-- the same way, create the schema first, and run this file in one transaction (see the README).

CREATE TABLE IF NOT EXISTS "{{schema}}"."{{prefix}}migrations" (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per job. Ids are compared bytewise (COLLATE "C"), the order JavaScript sorts strings in.
CREATE TABLE "{{schema}}"."{{prefix}}jobs" (
  id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  queue text COLLATE "C" NOT NULL,
  status text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  payload jsonb,
  metadata jsonb NOT NULL DEFAULT '{}',
  max_retries integer NOT NULL DEFAULT 0,
  retry_count integer NOT NULL DEFAULT 0,
  -- How many times the job was claimed: the attempt number, and the fencing token of its lease.
  attempt integer NOT NULL DEFAULT 0,
  timeout_ms bigint NOT NULL DEFAULT 0,
  scheduled_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  completed_at timestamptz,
  locked_until timestamptz,
  locked_by text,
  error text,
  unique_key text COLLATE "C",
  -- The last failed attempts, oldest first: [{ "attempt": 1, "error": "...", "failedAt": "<ISO 8601>" }].
  history jsonb NOT NULL DEFAULT '[]',
  CONSTRAINT "{{prefix}}jobs_pkey" PRIMARY KEY (id),
  CONSTRAINT "{{prefix}}jobs_status_check" CHECK (
    status IN ('scheduled', 'pending', 'running', 'completed', 'failed', 'dead', 'cancelled')
  )
);

-- Claims across all queues: waiting jobs in claim order (priority desc, scheduled_at, id). Only
-- waiting rows are indexed, so the index stays as small as the backlog, not the table.
CREATE INDEX "{{prefix}}jobs_claim_all"
  ON "{{schema}}"."{{prefix}}jobs" (priority DESC, scheduled_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed');

-- Claims from named queues: the same order within each queue.
CREATE INDEX "{{prefix}}jobs_claim_queue"
  ON "{{schema}}"."{{prefix}}jobs" (queue, priority DESC, scheduled_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed');

-- One job in an active status per unique key, enforced by the database (a concurrent duplicate
-- enqueue waits for the first to commit, then fails).
CREATE UNIQUE INDEX "{{prefix}}jobs_unique_key"
  ON "{{schema}}"."{{prefix}}jobs" (unique_key)
  WHERE unique_key IS NOT NULL AND status IN ('scheduled', 'pending', 'running', 'failed');

-- Recovery of expired leases: running jobs by lease expiry.
CREATE INDEX "{{prefix}}jobs_lease"
  ON "{{schema}}"."{{prefix}}jobs" (locked_until)
  WHERE status = 'running';

-- Cleanup of finished jobs past their retention.
CREATE INDEX "{{prefix}}jobs_finished"
  ON "{{schema}}"."{{prefix}}jobs" (completed_at)
  WHERE status IN ('completed', 'dead', 'cancelled');

-- A queue table is rewritten constantly (every job is inserted, updated twice and deleted), so
-- vacuum it well before the default 20% of dead rows.
ALTER TABLE "{{schema}}"."{{prefix}}jobs" SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_insert_scale_factor = 0.02,
  autovacuum_analyze_scale_factor = 0.02
);

-- Claims up to batch_size due jobs in claim order (priority desc, scheduled_at, id), from every
-- queue (queue_names NULL) or from the named ones, skipping rows other claimers hold, and leases
-- them. Returns the claimed jobs (in no particular order).
--
-- Why a function: the planner must never turn a claim into "read every waiting row, then sort"
-- (a bitmap or sequential scan), which it does when statistics are stale, say after a burst of
-- enqueues on a table last analysed while the backlog was small, making each claim cost
-- O(backlog). The SET clauses pin the plan to ordered index scans whatever the statistics say.
-- And the shape keeps those scans tight: a loose index scan visits each distinct priority that
-- has waiting jobs, highest first, and within a priority an index range scan reads the due jobs
-- in (scheduled_at, id) order; the outer LIMIT stops at the first batch_size, so only the rows
-- handed out are locked.
CREATE FUNCTION "{{schema}}"."{{prefix}}claim_jobs"(
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $claim$
BEGIN
  -- Commit the claim without waiting for the WAL flush: a claim lost in a server crash only
  -- leaves its jobs waiting (or, if a handler already ran, runs them again, as any lost lease
  -- does under at-least-once delivery). Enqueues keep the server's durable default. This takes
  -- one disk flush off the path from enqueue to handler start.
  PERFORM set_config('synchronous_commit', 'off', true);
  IF queue_names IS NULL THEN
    RETURN QUERY
    WITH RECURSIVE priorities AS (
      (SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC LIMIT 1)
      UNION ALL
      SELECT next.priority FROM priorities CROSS JOIN LATERAL (
        SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.status IN ('scheduled', 'pending', 'failed') AND j.priority < priorities.priority
        ORDER BY j.priority DESC LIMIT 1
      ) AS next
    ), due AS (
      SELECT head.id FROM priorities CROSS JOIN LATERAL (
        SELECT j.id FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.status IN ('scheduled', 'pending', 'failed') AND j.priority = priorities.priority
          AND j.scheduled_at <= claim_now
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
  ELSE
    -- The same per priority, the priority's due jobs of each named queue merged in
    -- (scheduled_at, id) order.
    RETURN QUERY
    WITH RECURSIVE priorities AS (
      (SELECT head.priority FROM unnest(queue_names) AS q(name) CROSS JOIN LATERAL (
          SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.queue = q.name AND j.status IN ('scheduled', 'pending', 'failed')
          ORDER BY j.priority DESC LIMIT 1
        ) AS head
        ORDER BY head.priority DESC LIMIT 1)
      UNION ALL
      SELECT next.priority FROM priorities CROSS JOIN LATERAL (
        SELECT head.priority FROM unnest(queue_names) AS q(name) CROSS JOIN LATERAL (
          SELECT j.priority FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.queue = q.name AND j.status IN ('scheduled', 'pending', 'failed')
            AND j.priority < priorities.priority
          ORDER BY j.priority DESC LIMIT 1
        ) AS head
        ORDER BY head.priority DESC LIMIT 1
      ) AS next
    ), due AS (
      SELECT batch.id FROM priorities CROSS JOIN LATERAL (
        SELECT c.id FROM unnest(queue_names) AS q(name) CROSS JOIN LATERAL (
          SELECT j.id, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
          WHERE j.queue = q.name AND j.status IN ('scheduled', 'pending', 'failed')
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

-- The earliest scheduled_at of a waiting job, in every queue (queue_names NULL) or the named ones:
-- the first entry of each priority in a claim index is that priority's earliest job, so one index
-- descent per distinct priority finds the minimum. Plan pinned as for claim_jobs.
CREATE FUNCTION "{{schema}}"."{{prefix}}next_due_at"(queue_names text[])
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $next_due$
DECLARE
  earliest timestamptz;
BEGIN
  IF queue_names IS NULL THEN
    WITH RECURSIVE heads AS (
      (SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1)
      UNION ALL
      SELECT next.priority, next.scheduled_at FROM heads CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.status IN ('scheduled', 'pending', 'failed') AND j.priority < heads.priority
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS next
    )
    SELECT min(heads.scheduled_at) INTO earliest FROM heads;
  ELSE
    WITH RECURSIVE heads AS (
      SELECT q.name AS queue, head.priority, head.scheduled_at
      FROM unnest(queue_names) AS q(name) CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = q.name AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS head
      UNION ALL
      SELECT heads.queue, next.priority, next.scheduled_at FROM heads CROSS JOIN LATERAL (
        SELECT j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue = heads.queue AND j.status IN ('scheduled', 'pending', 'failed')
          AND j.priority < heads.priority
        ORDER BY j.priority DESC, j.scheduled_at, j.id LIMIT 1
      ) AS next
    )
    SELECT min(heads.scheduled_at) INTO earliest FROM heads;
  END IF;
  RETURN earliest;
END
$next_due$;

-- Recurring schedules; `definition` is the runtime's own JSON, opaque to the store.
CREATE TABLE "{{schema}}"."{{prefix}}schedules" (
  name text COLLATE "C" NOT NULL,
  definition jsonb NOT NULL,
  next_run_at timestamptz,
  last_run_at timestamptz,
  occurrences bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT "{{prefix}}schedules_pkey" PRIMARY KEY (name)
);

-- Leader leases, used by @sched/leader-postgres, which may have created this table already (it
-- takes the same advisory lock as migrate()). Keep the definition identical to its own.
CREATE TABLE IF NOT EXISTS "{{schema}}"."{{prefix}}locks" (
  name text PRIMARY KEY,
  holder text,
  term bigint NOT NULL DEFAULT 0,
  expires_at timestamptz
);

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (1, '001_init');
