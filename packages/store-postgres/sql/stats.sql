-- No parameters: counts by queue and status.
SELECT queue, status, count(*) AS count FROM "{{schema}}"."{{prefix}}jobs" GROUP BY queue, status
