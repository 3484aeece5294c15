-- $1 id, $2 now, $3 channel or null. Returns the job, made pending and due now when it was
-- scheduled or failed (`promoted` true, its queue woken), else unchanged (`promoted` false), as
-- last committed. The last branch returns the job exactly when the first branch changed nothing.
WITH promoted AS (
  UPDATE "{{schema}}"."{{prefix}}jobs"
  SET status = 'pending', scheduled_at = $2
  WHERE id = $1 AND status IN ('scheduled', 'failed')
  RETURNING *
), notified AS (
  SELECT "{{schema}}"."{{prefix}}notify_queues"($3, array(SELECT queue FROM promoted)) AS sent
)
SELECT *, (SELECT sent FROM notified) >= 0 AS promoted FROM promoted
UNION ALL
-- FOR SHARE: the row as last committed. The statement's snapshot may predate a change committed
-- while this statement waited for the row (a claim, a cancel): reading the row without the lock
-- would return its former status.
SELECT *, false FROM (
  SELECT * FROM "{{schema}}"."{{prefix}}jobs" WHERE id = $1 FOR SHARE
) AS latest
WHERE NOT EXISTS (SELECT FROM promoted)
