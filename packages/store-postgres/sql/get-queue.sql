-- $1 name. A row without stored controls (updated_at null) only keeps claim state: not returned.
SELECT * FROM "{{schema}}"."{{prefix}}queues" WHERE name = $1 AND updated_at IS NOT NULL
