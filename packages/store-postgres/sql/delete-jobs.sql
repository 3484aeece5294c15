-- $1 statuses or null, $2 queue, $3 name, $4 group, $5 created from, $6 created before (each null
-- for any). Deletes the matching jobs that are not running; the row count is how many. A job
-- claimed meanwhile is rechecked after the claim commits, and left.
DELETE FROM "{{schema}}"."{{prefix}}jobs" AS j
WHERE j.status <> 'running'
  AND ($1::text[] IS NULL OR j.status = ANY ($1::text[]))
  AND ($2::text IS NULL OR j.queue = $2::text)
  AND ($3::text IS NULL OR j.name = $3::text)
  AND ($4::text IS NULL OR j.group_key = $4::text)
  AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
  AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
