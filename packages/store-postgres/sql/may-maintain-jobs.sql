-- Whether the connecting role may VACUUM and ANALYZE the jobs table and the count changes beside
-- it (see src/job-table-vacuum.ts): its owner or a member of the owning role, the database's owner,
-- a superuser (who has the privileges of every role), or on PostgreSQL 17 and later a role with
-- the MAINTAIN privilege. Any other role's VACUUM is skipped with a warning and does nothing.
SELECT bool_and(
  pg_has_role(c.relowner, 'USAGE')
  OR pg_has_role(d.datdba, 'USAGE')
  OR CASE WHEN current_setting('server_version_num')::int >= 170000
    THEN has_table_privilege(c.oid, 'MAINTAIN') ELSE false END
) AS allowed
FROM pg_class AS c, pg_database AS d
WHERE c.oid IN ('"{{schema}}"."{{prefix}}jobs"'::regclass, '"{{schema}}"."{{prefix}}job_count_deltas"'::regclass)
  AND d.datname = current_database()
