-- $1 queues, $2 minutes, $3 completed counts, $4 failed counts (arrays of one length: the
-- samples), $5 keepSince. Adds each sample's counts to its queue and minute, and deletes the
-- minutes before keepSince (samples of those minutes are dropped). Rows are written in key order,
-- so concurrent writers cannot deadlock.
WITH dropped AS (
  DELETE FROM "{{schema}}"."{{prefix}}throughput" WHERE minute < $5
), samples AS (
  SELECT s.minute, s.queue, sum(s.completed)::bigint AS completed, sum(s.failed)::bigint AS failed
  FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[])
    AS s(queue, minute, completed, failed)
  WHERE s.minute >= $5
  GROUP BY s.minute, s.queue
)
INSERT INTO "{{schema}}"."{{prefix}}throughput" AS t (minute, queue, completed, failed)
SELECT s.minute, s.queue, s.completed, s.failed FROM samples AS s ORDER BY s.minute, s.queue
ON CONFLICT (minute, queue) DO UPDATE
SET completed = t.completed + excluded.completed, failed = t.failed + excluded.failed
