-- No parameters.
SELECT 1
