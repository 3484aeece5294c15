-- A prototype of the hot/cold split for bench/src/flat-cost.ts (FLAT_AFTER_MIGRATE_SQL=bench/sql/flat-cost-partitioned.sql):
-- the jobs table of schema bench_flat, just migrated and empty, replaced by one LIST-partitioned by
-- status into a hot (scheduled, pending, running, failed) and a cold (completed, dead, cancelled)
-- partition, with the same indexes and count triggers. Enough for no-op jobs only: the primary key
-- becomes (id, status), so the dead-letter insert's ON CONFLICT (id) fails, and an update racing a
-- completion that moved the row fails with 40001. Not a migration: a measurement aid.
SET search_path = bench_flat;
ALTER TABLE scheduler_jobs RENAME TO scheduler_jobs_v6;
DROP INDEX scheduler_jobs_claim_name, scheduler_jobs_claim_queue_name, scheduler_jobs_claim_group,
  scheduler_jobs_running_group, scheduler_jobs_lease, scheduler_jobs_finished, scheduler_jobs_unique_key,
  scheduler_jobs_list_status, scheduler_jobs_list_queue, scheduler_jobs_list_group;
ALTER TABLE scheduler_jobs_v6 RENAME CONSTRAINT scheduler_jobs_pkey TO scheduler_jobs_v6_pkey;
ALTER TABLE scheduler_jobs_v6 RENAME CONSTRAINT scheduler_jobs_status_check TO scheduler_jobs_v6_status_check;
CREATE TABLE scheduler_jobs (LIKE scheduler_jobs_v6 INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (status);
ALTER TABLE scheduler_jobs ADD CONSTRAINT scheduler_jobs_pkey PRIMARY KEY (id, status);
CREATE TABLE scheduler_jobs_hot PARTITION OF scheduler_jobs FOR VALUES IN ('scheduled', 'pending', 'running', 'failed');
CREATE TABLE scheduler_jobs_cold PARTITION OF scheduler_jobs FOR VALUES IN ('completed', 'dead', 'cancelled');
CREATE INDEX scheduler_jobs_claim_name ON scheduler_jobs (name, priority DESC, scheduled_at, id) WHERE status IN ('scheduled', 'pending', 'failed');
CREATE INDEX scheduler_jobs_claim_queue_name ON scheduler_jobs (queue, name, priority DESC, scheduled_at, id) WHERE status IN ('scheduled', 'pending', 'failed');
CREATE INDEX scheduler_jobs_claim_group ON scheduler_jobs (queue, group_key, priority DESC, scheduled_at, id) WHERE status IN ('scheduled', 'pending', 'failed');
CREATE INDEX scheduler_jobs_running_group ON scheduler_jobs (queue, group_key) WHERE status = 'running';
CREATE INDEX scheduler_jobs_lease ON scheduler_jobs (locked_until) WHERE status = 'running';
CREATE INDEX scheduler_jobs_finished ON scheduler_jobs (completed_at) WHERE status IN ('completed', 'dead', 'cancelled');
CREATE UNIQUE INDEX scheduler_jobs_unique_key ON scheduler_jobs_hot (queue, unique_key) WHERE unique_key IS NOT NULL AND status IN ('scheduled', 'pending', 'running', 'failed');
CREATE INDEX scheduler_jobs_list_status ON scheduler_jobs (status, created_at, id) WHERE status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');
CREATE INDEX scheduler_jobs_list_queue ON scheduler_jobs (queue, status, created_at, id) WHERE status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');
CREATE INDEX scheduler_jobs_list_group ON scheduler_jobs (group_key, status, created_at, id) WHERE group_key IS NOT NULL AND status IN ('scheduled', 'pending', 'failed', 'completed', 'dead', 'cancelled');
CREATE TRIGGER scheduler_jobs_count_insert AFTER INSERT ON scheduler_jobs REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduler_count_inserted_jobs();
CREATE TRIGGER scheduler_jobs_count_update AFTER UPDATE ON scheduler_jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduler_count_updated_jobs();
CREATE TRIGGER scheduler_jobs_count_delete AFTER DELETE ON scheduler_jobs REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduler_count_deleted_jobs();
ALTER TABLE scheduler_jobs_hot SET (vacuum_truncate = false, autovacuum_vacuum_cost_delay = 0);
ALTER TABLE scheduler_jobs_cold SET (vacuum_truncate = false, autovacuum_vacuum_cost_delay = 0);
RESET search_path;
