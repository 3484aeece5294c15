-- $1 schema name.
SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS present
