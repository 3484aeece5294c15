-- $1 now. The records that expire after now, by id; the expired ones are deleted on the way.
WITH expired AS (
  DELETE FROM "{{schema}}"."{{prefix}}instances" WHERE expires_at <= $1
)
SELECT * FROM "{{schema}}"."{{prefix}}instances" WHERE expires_at > $1 ORDER BY id
