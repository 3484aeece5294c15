-- $1..$9 the schedule's columns, $10 the expected defined_at, $11 the expected defined_by (null
-- compares as a value), $12 whether next_run_at is compared too, $13 its expected value (null
-- compares as a value). Replaces only a schedule whose definition carries that stamp (and, with
-- $12, whose next run is $13: a tick fired since the caller's read fails the write).
--
-- The compare-and-set on the definition: a concurrent writer blocks on the row, then re-evaluates
-- the condition on the version the first one committed, finds another stamp and writes nothing.
-- So of writers that read the same stamp, exactly one succeeds.
UPDATE "{{schema}}"."{{prefix}}schedules"
SET definition = $2, next_run_at = $3, last_run_at = $4, occurrences = $5, created_at = $6,
  updated_at = $7, defined_at = $8, defined_by = $9
WHERE name = $1 AND defined_at = $10::timestamptz AND defined_by IS NOT DISTINCT FROM $11::text
  AND ($12::boolean IS NOT TRUE OR next_run_at IS NOT DISTINCT FROM $13::timestamptz)
