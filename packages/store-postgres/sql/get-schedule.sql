-- $1 name.
SELECT * FROM "{{schema}}"."{{prefix}}schedules" WHERE name = $1
