-- The live rows of the jobs table as its statistics have them (pg_class.reltuples: -1 when never
-- vacuumed or analyzed), as a vacuum or analyze left them.
SELECT c.reltuples::float8 AS live FROM pg_class AS c WHERE c.oid = '"{{schema}}"."{{prefix}}jobs"'::regclass
