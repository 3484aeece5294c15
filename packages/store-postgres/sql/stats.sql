-- No parameters: counts by queue and status, kept as jobs change (read_job_counts in
-- migrations/006_operations.sql folds the appended changes first): no scan of the jobs.
SELECT queue, status, count FROM "{{schema}}"."{{prefix}}read_job_counts"()
