-- @sched/store-postgres, migration 013: the store's functions run without JIT compilation.
--
--   * PostgreSQL compiles a statement with LLVM when its estimated cost passes jit_above_cost
--     (100,000 by default, jit on). The statements inside the claim functions are planned once
--     per connection (generic plans, see 010_generic_claim_plans.sql), with the batch size as a
--     parameter: once the jobs table has statistics of a large table (an ANALYZE, by the store
--     or autovacuum), a claim's estimated cost passed that mark and each claim compiled its
--     statements again, about 20 ms, on statements that run in 2-5 ms. After a cleanup of
--     1,000,000 jobs, claims of 100 jobs went from 9 to 31 ms (p50) and the jobs that followed
--     ran at 0.35x the rate before. The store's statements are short, and JIT never pays for them.
--   * Every PL/pgSQL function of the store gets `SET jit = off`, each named with its arguments
--     (not found by the prefix: another store's prefix in the same schema can start with this
--     one, and an application's own functions may share it): it holds for the statements run
--     inside it, whatever the session or PgBouncer's server connection has. SQL functions are
--     left alone (a SET clause would keep them from being inlined into the statements that call
--     them). A later migration that replaces one of these functions must keep the setting, and
--     one that adds a PL/pgSQL function must give it the setting too.
--
-- Placeholders as in 001_init.sql. Quick on any table size, no lock on the tables; instances of
-- the previous release run the same functions, with the setting.

ALTER FUNCTION "{{schema}}"."{{prefix}}claim_controlled_queue"(text, timestamp with time zone, integer, timestamp with time zone, text, text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}claim_due_jobs"(timestamp with time zone, integer, timestamp with time zone, text, text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}claim_jobs"(timestamp with time zone, integer, timestamp with time zone, text, text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}claim_jobs_all_queues"(timestamp with time zone, integer, timestamp with time zone, text, text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}complete_jobs"(timestamp with time zone, text[], text[], integer[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}count_deleted_jobs"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}count_inserted_jobs"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}count_truncated_jobs"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}count_updated_jobs"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}create_deduped_job"(json, text, text, bigint, bigint, timestamp with time zone, text) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}create_jobs"(json, text) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}create_jobs_and_claim"(json, text, timestamp with time zone, integer, timestamp with time zone, text, text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}fold_job_counts"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}jobs_waiting_in"(text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}lane_heads"(text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}next_due_at"(text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}next_due_at_unpaused"(text[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}notify_queues"(text, text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}read_job_counts"() SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}remove_completed_jobs"(text[], text[], integer[], text[]) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}retry_jobs"(text[], text, text, text, timestamp with time zone, timestamp with time zone, timestamp with time zone, text) SET jit = off;
ALTER FUNCTION "{{schema}}"."{{prefix}}waiting_job_names"(text[], timestamp with time zone, integer, integer) SET jit = off;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (13, '013_no_jit');
