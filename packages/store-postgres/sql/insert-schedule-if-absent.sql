-- $1..$9 the schedule's columns (in the order of rows.ts#scheduleParams). Creates only when absent.
INSERT INTO "{{schema}}"."{{prefix}}schedules" (name, definition, next_run_at, last_run_at,
  occurrences, created_at, updated_at, defined_at, defined_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (name) DO NOTHING
