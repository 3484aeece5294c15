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
--   * Every PL/pgSQL function of the store gets `SET jit = off`: it holds for the statements run
--     inside it, whatever the session or PgBouncer's server connection has. SQL functions are
--     left alone (a SET clause would keep them from being inlined into the statements that call
--     them). A later migration that replaces one of these functions must keep the setting.
--
-- Placeholders as in 001_init.sql. Quick on any table size, no lock on the tables; instances of
-- the previous release run the same functions, with the setting.

DO $no_jit$
DECLARE
  f regprocedure;
  -- The table prefix, from the name of the migrations table.
  prefix text := left(
    (SELECT c.relname FROM pg_class AS c WHERE c.oid = '"{{schema}}"."{{prefix}}migrations"'::regclass),
    -length('migrations'));
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure FROM pg_proc AS p
    WHERE p.pronamespace = '"{{schema}}"'::regnamespace
      AND starts_with(p.proname, prefix)
      AND p.prokind = 'f'
      AND p.prolang = (SELECT l.oid FROM pg_language AS l WHERE l.lanname = 'plpgsql')
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET jit = off', f);
  END LOOP;
END
$no_jit$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (13, '013_no_jit');
