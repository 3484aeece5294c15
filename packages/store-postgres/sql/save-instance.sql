-- $1 id, $2 host, $3 pid, $4 version, $5 queues (null: every queue), $6 workers, $7 busy,
-- $8 leader, $9 started at, $10 last seen at, $11 expires at, $12 distributed. Creates or replaces
-- the record.
INSERT INTO "{{schema}}"."{{prefix}}instances" AS i (id, host, pid, version, queues, workers, busy,
  leader, started_at, last_seen_at, expires_at, distributed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
  queues = excluded.queues, workers = excluded.workers, busy = excluded.busy, leader = excluded.leader,
  distributed = excluded.distributed, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at
