-- $1 id.
SELECT * FROM "{{schema}}"."{{prefix}}jobs" WHERE id = $1
