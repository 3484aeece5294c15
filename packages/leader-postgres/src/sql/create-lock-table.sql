-- The lease table. Keep this definition identical to the one in @sched/store-postgres's migration
-- 001 so that either package may create it and both can share it.
CREATE TABLE IF NOT EXISTS {{locks_table}} (
  name text PRIMARY KEY,
  holder text,
  term bigint NOT NULL DEFAULT 0,
  expires_at timestamptz
)
