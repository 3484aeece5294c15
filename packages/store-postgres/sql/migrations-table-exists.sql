-- $1 the migrations table's quoted name, to test whether it exists.
SELECT to_regclass($1::text) IS NOT NULL AS present
