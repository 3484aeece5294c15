-- Frees the lease `$1` if the instance `$2` holds it, so another instance can take it at once.
-- The term is kept: the next leadership raises it.
UPDATE "{{schema}}"."{{prefix}}locks"
SET holder = NULL,
    expires_at = clock_timestamp() - interval '1 millisecond'
WHERE name = $1 AND holder = $2
