-- $1 the schema name as stored in the catalog, $2 the quoted, schema-qualified lock table name.
SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1) AS schema_exists,
  to_regclass($2::text) IS NOT NULL AS table_exists
