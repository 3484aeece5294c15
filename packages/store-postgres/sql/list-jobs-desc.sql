-- A page of listJobs, newest first. $1 statuses (null: every status), $2 queue, $3 name, $4 group,
-- $5 created from, $6 created before (each null for any), $7 and $8 the createdAt and id the page
-- starts after (null for the first page), $9 limit. As list-jobs.sql, in the opposite order.
--
-- Keyset paging, one ordered index range per listed status (jobs_list_queue with a queue,
-- jobs_list_group with a group, else jobs_list_status; migrations/006_operations.sql), merged:
-- at most `limit` rows read per status however deep the page. The name is a filter on those
-- ranges. Statements are planned with their parameters (unnamed statements), so the null tests
-- fold away and the planner sees plain index conditions.
SELECT j.* FROM unnest(coalesce($1::text[],
    ARRAY['scheduled', 'pending', 'running', 'failed', 'completed', 'dead', 'cancelled'])) AS s(status)
CROSS JOIN LATERAL (
  SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = s.status
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9
) AS j
ORDER BY j.created_at DESC, j.id DESC
LIMIT $9
