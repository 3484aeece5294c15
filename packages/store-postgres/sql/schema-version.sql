-- No parameters: the highest applied migration version.
SELECT coalesce(max(version), 0) AS version FROM "{{schema}}"."{{prefix}}migrations"
