-- $1 id, $2 now, $3 channel or null. Returns the job (cancelled, or unchanged when final), whether
-- it was running (`was_running`), in which case a cancel notification was sent, and the process id
-- of the server backend that sent it (`sender_pid`).
--
-- The row is locked first to read the status it has when the cancel applies (a claim may have made
-- it running since the statement began). The cancel notification of a running job goes out on
-- commit, to every instance LISTENing, so the one running it aborts its handler. Its payload,
-- "cancel<TAB><TAB><attempt><TAB><queue><TAB><id>", names the attempt the cancel fenced off and can
-- never be a queue name (see notifications.ts); one over NOTIFY's 8000-byte limit is not sent
-- (lease renewal finds the cancel instead). The last branch returns the job unchanged exactly when
-- the first branch changed nothing, as last committed.
WITH target AS (
  SELECT id, status FROM "{{schema}}"."{{prefix}}jobs"
  WHERE id = $1 AND "{{schema}}"."{{prefix}}holds_unique_key"(status)
  FOR UPDATE
), cancelled AS (
  UPDATE "{{schema}}"."{{prefix}}jobs" AS j
  SET status = 'cancelled', completed_at = $2, locked_until = NULL, locked_by = NULL
  FROM target WHERE j.id = target.id
  RETURNING j.*, target.status = 'running' AS was_running
), notified AS (
  SELECT pg_notify($3, message.payload)
  FROM cancelled CROSS JOIN LATERAL (
    SELECT concat_ws(E'\t', 'cancel', '', cancelled.attempt, cancelled.queue, cancelled.id) AS payload
  ) AS message
  WHERE cancelled.was_running AND $3::text IS NOT NULL AND octet_length(message.payload) < 8000
)
SELECT *, pg_backend_pid() AS sender_pid, (SELECT count(*) FROM notified) >= 0 AS notified
FROM cancelled
UNION ALL
-- FOR SHARE: the row as last committed. The statement's snapshot may predate a change committed
-- while this statement waited for the row (a completion, a claim): reading the row without the lock
-- would return its former status.
SELECT *, false, NULL, true FROM (
  SELECT * FROM "{{schema}}"."{{prefix}}jobs" WHERE id = $1 FOR SHARE
) AS latest
WHERE NOT EXISTS (SELECT FROM cancelled)
