-- No parameters: the id of the data (`epoch`), created when there is none.
--
-- Read in the common case. When there is no epoch, one is created; of concurrent creators (a
-- conflict) each gets the row that won, which DO UPDATE reads even when it was committed after
-- this statement began, where a plain SELECT would not see it.
WITH existing AS (
  SELECT value FROM "{{schema}}"."{{prefix}}meta" WHERE name = 'epoch'
), created AS (
  INSERT INTO "{{schema}}"."{{prefix}}meta" AS meta (name, value)
  SELECT 'epoch', gen_random_uuid()::text WHERE NOT EXISTS (SELECT FROM existing)
  ON CONFLICT (name) DO UPDATE SET value = meta.value
  RETURNING value
)
SELECT value FROM existing UNION ALL SELECT value FROM created
