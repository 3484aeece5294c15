-- The active job holding a unique key: $1 queue, $2 unique key.
SELECT id FROM "{{schema}}"."{{prefix}}jobs"
WHERE queue = $1 AND unique_key = $2 AND "{{schema}}"."{{prefix}}holds_unique_key"(status)
LIMIT 1
