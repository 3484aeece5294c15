-- @sched/store-postgres, migration 007: the jobs table stays as cheap to use as it grows.
--
-- Every job is inserted, updated when claimed, and updated (or deleted) when it ends; the status
-- is in the predicate of every partial index, so none of those updates is HOT: each job leaves two
-- dead row versions and dead index entries until a vacuum removes them, and claims walk past the
-- dead entries at the head of their claim index. The store now vacuums the table itself every
-- `vacuumEvery` jobs ended (src/job-table-vacuum.ts); this migration tunes autovacuum and plain
-- VACUUM of the table for that life:
--
--   * vacuum_truncate off: a vacuum that finds empty pages at the end of the table (after a
--     cleanup, say) would give them back to the operating system under an ACCESS EXCLUSIVE lock,
--     which stalls every claim, enqueue and acknowledgement while it waits for and holds it (a
--     claim p99 of 360 ms measured right after a cleanup). The pages stay in the table instead,
--     free for the next rows;
--   * autovacuum_vacuum_cost_delay 0: autovacuum of the jobs table and of the appended count
--     changes runs unthrottled (the default 2 ms pause per 200 pages makes a vacuum of a large
--     jobs table take minutes while the dead versions keep piling up).
--
-- Placeholders as in 001_init.sql. Only storage parameters change: no rewrite of the table, a
-- SHARE UPDATE EXCLUSIVE lock for an instant (claims, enqueues and acknowledgements go on), and
-- instances of the previous release keep working during a rolling deploy.

ALTER TABLE "{{schema}}"."{{prefix}}jobs" SET (
  vacuum_truncate = false,
  autovacuum_vacuum_cost_delay = 0
);

ALTER TABLE "{{schema}}"."{{prefix}}job_count_deltas" SET (
  vacuum_truncate = false,
  autovacuum_vacuum_cost_delay = 0
);

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (7, '007_table_maintenance');
