-- No parameters: the queues with stored controls, by name.
SELECT * FROM "{{schema}}"."{{prefix}}queues" WHERE updated_at IS NOT NULL ORDER BY name
