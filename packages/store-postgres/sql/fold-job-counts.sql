-- No parameters: folds the appended count changes (see migrations/006_operations.sql).
SELECT "{{schema}}"."{{prefix}}fold_job_counts"()
