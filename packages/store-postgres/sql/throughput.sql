-- $1 queue (null: every queue), $2 since, $3 until (null: no end). The samples by minute, then queue.
SELECT minute, queue, completed, failed FROM "{{schema}}"."{{prefix}}throughput"
WHERE minute >= $2 AND ($3::timestamptz IS NULL OR minute < $3::timestamptz)
  AND ($1::text IS NULL OR queue = $1::text)
ORDER BY minute, queue
