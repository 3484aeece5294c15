-- $1 name, $2 now, $3 channel or null; then, for each field of the patch, whether it is given and
-- its value (null removes a limit): $4/$5 paused, $6/$7 concurrency, $8/$9/$10 rate limit (given,
-- max, per ms), $11/$12/$13/$14/$15 group limits (given, set, concurrency, rate max, rate per ms);
-- $16 whether to lift the push-backs of the queue and of its groups.
-- Returns the queue's row afterwards; a queue not paused afterwards is woken on $3.
WITH updated AS (
  INSERT INTO "{{schema}}"."{{prefix}}queues" AS q (name, paused, concurrency, rate_max, rate_per_ms,
    has_group_limits, group_concurrency, group_rate_max, group_rate_per_ms, updated_at)
  VALUES ($1, coalesce($5::boolean, false), $7::integer, $9::integer, $10::bigint,
    coalesce($12::boolean, false), $13::integer, $14::integer, $15::bigint, $2::timestamptz)
  ON CONFLICT (name) DO UPDATE SET
    paused = CASE WHEN $4::boolean THEN excluded.paused ELSE q.paused END,
    concurrency = CASE WHEN $6::boolean THEN excluded.concurrency ELSE q.concurrency END,
    rate_max = CASE WHEN $8::boolean THEN excluded.rate_max ELSE q.rate_max END,
    rate_per_ms = CASE WHEN $8::boolean THEN excluded.rate_per_ms ELSE q.rate_per_ms END,
    has_group_limits = CASE WHEN $11::boolean THEN excluded.has_group_limits ELSE q.has_group_limits END,
    group_concurrency = CASE WHEN $11::boolean THEN excluded.group_concurrency ELSE q.group_concurrency END,
    group_rate_max = CASE WHEN $11::boolean THEN excluded.group_rate_max ELSE q.group_rate_max END,
    group_rate_per_ms = CASE WHEN $11::boolean THEN excluded.group_rate_per_ms ELSE q.group_rate_per_ms END,
    limited_until = CASE WHEN $16::boolean THEN NULL ELSE q.limited_until END,
    updated_at = excluded.updated_at
  RETURNING q.*
), groups_lifted AS (
  UPDATE "{{schema}}"."{{prefix}}queue_groups" AS g SET limited_until = NULL
  WHERE $16::boolean AND g.queue = $1 AND g.limited_until IS NOT NULL
)
SELECT *, "{{schema}}"."{{prefix}}notify_queues"($3, array(SELECT name FROM updated WHERE NOT paused)) >= 0
  AS notified
FROM updated
