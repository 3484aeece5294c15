-- $1 lock key: serialises migrations of the same schema and prefix until the transaction ends.
SELECT pg_advisory_xact_lock($1::bigint)
