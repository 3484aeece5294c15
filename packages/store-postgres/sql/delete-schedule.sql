-- $1 name.
DELETE FROM "{{schema}}"."{{prefix}}schedules" WHERE name = $1
