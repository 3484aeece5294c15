-- A page of listJobs, newest first. $1 statuses (null: every status), $2 queue, $3 name, $4 group,
-- $5 created from, $6 created before (each null for any), $7 and $8 the createdAt and id the page
-- starts after (null for the first page), $9 limit. As list-jobs.sql, in the opposite order.
--
-- Keyset paging: one branch per status, each an ordered range of a listing index
-- (jobs_list_queue with a queue, jobs_list_group with a group, else jobs_list_status; see
-- migrations/006_operations.sql) read up to `limit` rows, and the branches merged: about `limit`
-- rows per listed status however deep the page. Running jobs, which those indexes leave out, are
-- few (at most the workers of every instance): their branch reads them all through the lease
-- index and sorts them. The name is a filter on the ranges. Statements are planned with their
-- parameters (unnamed statements), so a branch whose status is not listed, and the filters not
-- given, fold away: each branch is a plain index range on a constant status.
SELECT * FROM (
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'scheduled' AND ($1::text[] IS NULL OR 'scheduled' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'pending' AND ($1::text[] IS NULL OR 'pending' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'running' AND ($1::text[] IS NULL OR 'running' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'failed' AND ($1::text[] IS NULL OR 'failed' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'completed' AND ($1::text[] IS NULL OR 'completed' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'dead' AND ($1::text[] IS NULL OR 'dead' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
UNION ALL
(SELECT * FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.status = 'cancelled' AND ($1::text[] IS NULL OR 'cancelled' = ANY ($1::text[]))
    AND ($2::text IS NULL OR j.queue = $2::text)
    AND ($3::text IS NULL OR j.name = $3::text)
    AND ($4::text IS NULL OR j.group_key = $4::text)
    AND ($5::timestamptz IS NULL OR j.created_at >= $5::timestamptz)
    AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
    AND ($7::timestamptz IS NULL OR (j.created_at, j.id) < ($7::timestamptz, $8::text))
  ORDER BY j.created_at DESC, j.id DESC
  LIMIT $9)
) AS j
ORDER BY j.created_at DESC, j.id DESC
LIMIT $9
