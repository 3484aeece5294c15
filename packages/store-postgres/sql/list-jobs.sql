-- $1 statuses or null, $2 queue or null, $3 name or null, $4 limit, $5 offset.
SELECT * FROM "{{schema}}"."{{prefix}}jobs"
WHERE ($1::text[] IS NULL OR status = ANY ($1::text[]))
  AND ($2::text IS NULL OR queue = $2::text)
  AND ($3::text IS NULL OR name = $3::text)
ORDER BY created_at, id
LIMIT $4 OFFSET $5
