-- Analyzes the jobs table (see src/job-table-vacuum.ts): run once the table has refilled after a
-- vacuum left its statistics saying it is (nearly) empty.
ANALYZE "{{schema}}"."{{prefix}}jobs"
