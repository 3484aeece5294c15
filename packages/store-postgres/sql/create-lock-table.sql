-- The leader lease table of @sched/leader-postgres, for a database that has only the leader (its
-- migrate() runs this; the store's migration 001 creates the same table with the same definition,
-- only when it is missing, so either may come first and both share it).
CREATE TABLE IF NOT EXISTS "{{schema}}"."{{prefix}}locks" (
  name text PRIMARY KEY,
  holder text,
  term bigint NOT NULL DEFAULT 0,
  expires_at timestamptz
)
