-- $1: the schema name as stored in the catalog, $2: the quoted, schema-qualified table name.
SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists,
       to_regclass($2) IS NOT NULL AS table_exists
