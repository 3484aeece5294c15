-- $1 completedBefore, $2 deadBefore, $3 cancelledBefore. Served by the partial index on
-- completed_at of finished jobs: one range scan to the latest cutoff, then each status's own cutoff.
DELETE FROM "{{schema}}"."{{prefix}}jobs"
WHERE status IN ('completed', 'dead', 'cancelled')
  AND completed_at < greatest($1::timestamptz, $2::timestamptz, $3::timestamptz)
  AND completed_at < CASE status WHEN 'completed' THEN $1::timestamptz
    WHEN 'dead' THEN $2::timestamptz ELSE $3::timestamptz END
