-- $1 name, $2 expected next_run_at, $3 new next_run_at or null, $4 firedAt, $5 occurrences to add,
-- $6 json array of new jobs, $7 channel or null, $8 the expected defined_at (null: any definition),
-- $9 the expected defined_by (null compares as a value). Returns `fired` and the inserted `ids`.
--
-- Compare-and-set and insert in one statement, hence one transaction: a concurrent firer blocks on
-- the schedule's row, then finds next_run_at changed and fires nothing. A job whose unique key its
-- queue already holds is skipped (the ON CONFLICT clause spells out the unique index's predicate,
-- holds_unique_key, to match the index). A job with a group gives its queue a row in the queues
-- table, as in insert-jobs.sql.
WITH fired AS (
  UPDATE "{{schema}}"."{{prefix}}schedules"
  SET next_run_at = $3, last_run_at = $4, updated_at = $4, occurrences = occurrences + $5
  WHERE name = $1 AND next_run_at = $2
    AND ($8::timestamptz IS NULL OR (defined_at = $8::timestamptz AND defined_by IS NOT DISTINCT FROM $9::text))
  RETURNING name
), inserted AS (
  INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
    max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key)
  SELECT * FROM "{{schema}}"."{{prefix}}new_job_rows"($6)
  WHERE EXISTS (SELECT FROM fired)
  ON CONFLICT (queue, unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('scheduled', 'pending', 'running', 'failed')
    DO NOTHING
  RETURNING id, queue, group_key
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
SELECT EXISTS (SELECT FROM fired) AS fired,
  array(SELECT id FROM inserted) AS ids,
  "{{schema}}"."{{prefix}}notify_queues"($7, array(SELECT queue FROM inserted)) AS notified
