-- No parameters.
SELECT * FROM "{{schema}}"."{{prefix}}schedules" ORDER BY name
