-- @sched/store-postgres, migration 006: what operators read and do (issue 15).
--
--   * listing indexes: jobs by (status, created_at, id), by (queue, status, created_at, id), and the
--     jobs with a group by (group_key, status, created_at, id), running jobs left out, so that a
--     page of listJobs reads about `limit` rows per listed status, however deep (keyset paging,
--     see sql/list-jobs.sql);
--   * job counts kept as jobs change, so that stats() does not scan the jobs: statement-level
--     triggers on the jobs table append one row per (queue, status) whose count a statement
--     changed to <prefix>job_count_deltas (an append: no lock another writer waits for), and
--     fold_job_counts() moves those rows into <prefix>job_counts (stats and cleanup call it);
--   * <prefix>instances: presence records of running scheduler instances;
--   * <prefix>throughput: completed and failed counts per queue and minute;
--   * retry_jobs(): the bulk retry of dead and cancelled jobs.
--
-- Placeholders as in 001_init.sql. The indexes are built under a SHARE lock, which holds back
-- writes to the jobs table while they are built (on a large table, run it when the queue is quiet);
-- the same lock makes the first counts, taken from the jobs at the end of this file, exact.
-- Instances of the previous release keep working during a rolling deploy: the triggers count
-- their changes too.

-- Running jobs are left out of the listing indexes: a claim then adds no entry to them (only the
-- insert and the final status of a job do), and the running jobs, as many as the workers of every
-- instance, are listed through the lease index (jobs_lease of 001_init.sql) and sorted.
CREATE INDEX "{{prefix}}jobs_list_status"
  ON "{{schema}}"."{{prefix}}jobs" (status, created_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');

CREATE INDEX "{{prefix}}jobs_list_queue"
  ON "{{schema}}"."{{prefix}}jobs" (queue, status, created_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');

CREATE INDEX "{{prefix}}jobs_list_group"
  ON "{{schema}}"."{{prefix}}jobs" (group_key, status, created_at, id)
  WHERE group_key IS NOT NULL
    AND status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');

-- The folded counts: one row per queue and status that ever had jobs. A row that falls to 0 is
-- kept (they are at most 7 per queue): deleting it would lock rows out of the (queue, status)
-- order that keeps concurrent folds from deadlocking.
CREATE TABLE "{{schema}}"."{{prefix}}job_counts" (
  queue text COLLATE "C" NOT NULL,
  status text NOT NULL,
  n bigint NOT NULL,
  CONSTRAINT "{{prefix}}job_counts_pkey" PRIMARY KEY (queue, status)
);

-- Changes of the counts not folded yet. No index and no key: appending is all the hot path does.
CREATE TABLE "{{schema}}"."{{prefix}}job_count_deltas" (
  queue text COLLATE "C" NOT NULL,
  status text NOT NULL,
  n bigint NOT NULL
);

ALTER TABLE "{{schema}}"."{{prefix}}job_count_deltas" SET (
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_insert_scale_factor = 0.02
);

-- The count changes of one statement, from its transition tables: +1 per new row, -1 per old row,
-- summed per queue and status. An update that changes no status (a lease renewal) appends nothing.
CREATE FUNCTION "{{schema}}"."{{prefix}}count_inserted_jobs"()
RETURNS trigger
LANGUAGE plpgsql
AS $count_inserted$
BEGIN
  INSERT INTO "{{schema}}"."{{prefix}}job_count_deltas" (queue, status, n)
  SELECT r.queue, r.status, count(*) FROM new_rows AS r GROUP BY r.queue, r.status;
  RETURN NULL;
END
$count_inserted$;

CREATE FUNCTION "{{schema}}"."{{prefix}}count_deleted_jobs"()
RETURNS trigger
LANGUAGE plpgsql
AS $count_deleted$
BEGIN
  INSERT INTO "{{schema}}"."{{prefix}}job_count_deltas" (queue, status, n)
  SELECT r.queue, r.status, -count(*) FROM old_rows AS r GROUP BY r.queue, r.status;
  RETURN NULL;
END
$count_deleted$;

CREATE FUNCTION "{{schema}}"."{{prefix}}count_updated_jobs"()
RETURNS trigger
LANGUAGE plpgsql
AS $count_updated$
BEGIN
  INSERT INTO "{{schema}}"."{{prefix}}job_count_deltas" (queue, status, n)
  SELECT c.queue, c.status, sum(c.n) FROM (
    SELECT r.queue, r.status, 1 AS n FROM new_rows AS r
    UNION ALL
    SELECT r.queue, r.status, -1 AS n FROM old_rows AS r
  ) AS c
  GROUP BY c.queue, c.status
  HAVING sum(c.n) <> 0;
  RETURN NULL;
END
$count_updated$;

-- A TRUNCATE of the jobs table (fires no row change) empties the counts with it.
CREATE FUNCTION "{{schema}}"."{{prefix}}count_truncated_jobs"()
RETURNS trigger
LANGUAGE plpgsql
AS $count_truncated$
BEGIN
  DELETE FROM "{{schema}}"."{{prefix}}job_count_deltas";
  DELETE FROM "{{schema}}"."{{prefix}}job_counts";
  RETURN NULL;
END
$count_truncated$;

CREATE TRIGGER "{{prefix}}jobs_count_insert"
  AFTER INSERT ON "{{schema}}"."{{prefix}}jobs"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "{{schema}}"."{{prefix}}count_inserted_jobs"();

CREATE TRIGGER "{{prefix}}jobs_count_update"
  AFTER UPDATE ON "{{schema}}"."{{prefix}}jobs"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "{{schema}}"."{{prefix}}count_updated_jobs"();

CREATE TRIGGER "{{prefix}}jobs_count_delete"
  AFTER DELETE ON "{{schema}}"."{{prefix}}jobs"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "{{schema}}"."{{prefix}}count_deleted_jobs"();

CREATE TRIGGER "{{prefix}}jobs_count_truncate"
  AFTER TRUNCATE ON "{{schema}}"."{{prefix}}jobs"
  FOR EACH STATEMENT EXECUTE FUNCTION "{{schema}}"."{{prefix}}count_truncated_jobs"();

-- Moves the appended count changes into job_counts. Concurrent folds never count a change twice:
-- a delta row is deleted by one of them (the other waits for its commit and skips the row), and
-- the counts are written in (queue, status) order, so two folds cannot deadlock. A reader that
-- adds job_counts and job_count_deltas in one snapshot gets exact counts whether or not a fold
-- ran meanwhile.
CREATE FUNCTION "{{schema}}"."{{prefix}}fold_job_counts"()
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $fold$
BEGIN
  WITH moved AS (
    DELETE FROM "{{schema}}"."{{prefix}}job_count_deltas" RETURNING queue, status, n
  ), summed AS (
    SELECT m.queue, m.status, sum(m.n)::bigint AS n FROM moved AS m GROUP BY m.queue, m.status
  )
  INSERT INTO "{{schema}}"."{{prefix}}job_counts" AS c (queue, status, n)
  SELECT s.queue, s.status, s.n FROM summed AS s WHERE s.n <> 0 ORDER BY s.queue, s.status
  ON CONFLICT (queue, status) DO UPDATE SET n = c.n + excluded.n;
END
$fold$;

-- The counts per queue and status (rows of 0 left out), after a fold: what stats() reads. The
-- read adds the changes appended since the fold, in one snapshot.
CREATE FUNCTION "{{schema}}"."{{prefix}}read_job_counts"()
RETURNS TABLE (queue text, status text, count bigint)
LANGUAGE plpgsql VOLATILE
AS $read_counts$
BEGIN
  PERFORM "{{schema}}"."{{prefix}}fold_job_counts"();
  RETURN QUERY
  SELECT c.queue, c.status, sum(c.n)::bigint FROM (
    SELECT k.queue, k.status, k.n FROM "{{schema}}"."{{prefix}}job_counts" AS k
    UNION ALL
    SELECT d.queue, d.status, d.n FROM "{{schema}}"."{{prefix}}job_count_deltas" AS d
  ) AS c
  GROUP BY c.queue, c.status
  HAVING sum(c.n) <> 0;
END
$read_counts$;

-- Presence records of running scheduler instances (InstanceRecord); expired ones are deleted by
-- the reads that find them.
CREATE TABLE "{{schema}}"."{{prefix}}instances" (
  id text COLLATE "C" NOT NULL,
  host text NOT NULL,
  pid integer NOT NULL,
  version text NOT NULL,
  queues text[],
  workers integer NOT NULL,
  busy integer NOT NULL,
  leader boolean NOT NULL,
  distributed boolean NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  CONSTRAINT "{{prefix}}instances_pkey" PRIMARY KEY (id)
);

-- Completed and failed attempts per queue and minute (ThroughputSample), bounded by the writers
-- (addThroughput deletes the minutes before its keepSince).
CREATE TABLE "{{schema}}"."{{prefix}}throughput" (
  minute timestamptz NOT NULL,
  queue text COLLATE "C" NOT NULL,
  completed bigint NOT NULL,
  failed bigint NOT NULL,
  CONSTRAINT "{{prefix}}throughput_pkey" PRIMARY KEY (minute, queue)
);

-- Moves the dead and cancelled jobs that match back to pending with a fresh budget, as
-- requeue-job.sql does, and wakes their queues on `channel` (unless null). A job whose unique key
-- is held by an active job of its queue stays as it is, and of several matching jobs with the same
-- key and queue only the first (by created_at, id) moves. Returns how many jobs moved per queue.
--
-- One set-based update in the common case. An enqueue that takes a key between the check and the
-- update makes it fail with a unique violation; the jobs are then moved one by one, each in a
-- subtransaction of its own, so only the jobs whose key was taken stay.
CREATE FUNCTION "{{schema}}"."{{prefix}}retry_jobs"(
  statuses text[],
  queue_name text,
  job_name text,
  group_name text,
  created_from timestamptz,
  created_to timestamptz,
  retry_at timestamptz,
  channel text
) RETURNS TABLE (moved_queue text, moved bigint)
LANGUAGE plpgsql VOLATILE
AS $retry_jobs$
DECLARE
  moved_queues text[];
  candidate record;
  one_queue text;
BEGIN
  BEGIN
    WITH matching AS (
      SELECT j.id, j.queue, j.unique_key, j.created_at FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('dead', 'cancelled') AND (statuses IS NULL OR j.status = ANY (statuses))
        AND (queue_name IS NULL OR j.queue = queue_name)
        AND (job_name IS NULL OR j.name = job_name)
        AND (group_name IS NULL OR j.group_key = group_name)
        AND (created_from IS NULL OR j.created_at >= created_from)
        AND (created_to IS NULL OR j.created_at < created_to)
    ), keyed_first AS (
      SELECT DISTINCT ON (m.queue, m.unique_key) m.id FROM matching AS m
      WHERE m.unique_key IS NOT NULL
        AND NOT EXISTS (
          SELECT FROM "{{schema}}"."{{prefix}}jobs" AS h
          WHERE h.queue = m.queue AND h.unique_key = m.unique_key
            AND h.status IN ('scheduled', 'pending', 'running', 'failed')
        )
      ORDER BY m.queue, m.unique_key, m.created_at, m.id
    ), chosen AS (
      SELECT m.id FROM matching AS m WHERE m.unique_key IS NULL
      UNION ALL
      SELECT k.id FROM keyed_first AS k
    ), requeued AS (
      UPDATE "{{schema}}"."{{prefix}}jobs" AS j
      SET status = 'pending', scheduled_at = retry_at, retry_count = 0, lost_leases = 0,
        completed_at = NULL
      FROM chosen WHERE j.id = chosen.id AND j.status IN ('dead', 'cancelled')
      RETURNING j.queue, j.group_key
    ), arrived AS (
      INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
      SELECT DISTINCT r.queue, r.group_key FROM requeued AS r WHERE r.group_key IS NOT NULL
    )
    SELECT coalesce(array_agg(r.queue), '{}') INTO moved_queues FROM requeued AS r;
  EXCEPTION WHEN unique_violation THEN
    moved_queues := '{}';
    FOR candidate IN
      SELECT j.id FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('dead', 'cancelled') AND (statuses IS NULL OR j.status = ANY (statuses))
        AND (queue_name IS NULL OR j.queue = queue_name)
        AND (job_name IS NULL OR j.name = job_name)
        AND (group_name IS NULL OR j.group_key = group_name)
        AND (created_from IS NULL OR j.created_at >= created_from)
        AND (created_to IS NULL OR j.created_at < created_to)
      ORDER BY j.created_at, j.id
    LOOP
      BEGIN
        one_queue := NULL;
        WITH requeued AS (
          UPDATE "{{schema}}"."{{prefix}}jobs" AS j
          SET status = 'pending', scheduled_at = retry_at, retry_count = 0, lost_leases = 0,
            completed_at = NULL
          WHERE j.id = candidate.id AND j.status IN ('dead', 'cancelled')
          RETURNING j.queue, j.group_key
        ), arrived AS (
          INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key)
          SELECT r.queue, r.group_key FROM requeued AS r WHERE r.group_key IS NOT NULL
        )
        SELECT r.queue INTO one_queue FROM requeued AS r;
        IF one_queue IS NOT NULL THEN
          moved_queues := moved_queues || one_queue;
        END IF;
      EXCEPTION WHEN unique_violation THEN
        NULL;
      END;
    END LOOP;
  END;
  PERFORM "{{schema}}"."{{prefix}}notify_queues"(channel, moved_queues);
  RETURN QUERY SELECT q.name, count(*) FROM unnest(moved_queues) AS q(name) GROUP BY q.name;
END
$retry_jobs$;

-- The first counts, from the jobs as they are (the indexes above hold back writers until commit).
INSERT INTO "{{schema}}"."{{prefix}}job_counts" (queue, status, n)
SELECT j.queue, j.status, count(*) FROM "{{schema}}"."{{prefix}}jobs" AS j GROUP BY j.queue, j.status;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (6, '006_operations');
