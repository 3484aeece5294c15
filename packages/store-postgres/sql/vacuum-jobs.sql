-- Vacuums the jobs table and the count changes appended beside it (see src/job-table-vacuum.ts).
-- SKIP_LOCKED: when another instance (or autovacuum) is vacuuming a table already, this one skips
-- it instead of waiting. TRUNCATE false: giving empty pages at the end of the table back to the
-- operating system takes an ACCESS EXCLUSIVE lock, which stalls every claim and enqueue while
-- it is held; the pages stay in the table, free for the next rows. VACUUM runs outside a
-- transaction, as a statement of its own.
VACUUM (SKIP_LOCKED, TRUNCATE false) "{{schema}}"."{{prefix}}jobs", "{{schema}}"."{{prefix}}job_count_deltas"
