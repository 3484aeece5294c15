-- Acquires or renews the lease `$1` for the instance `$2`, for `$3` milliseconds of the database's
-- clock. `$4` is the last term the database granted to this instance (NULL if none) and `$5`
-- whether it still leads with that term by its own clock. Returns the lease's term when this
-- instance holds the lease afterwards, and no row otherwise.
--
-- One statement, so it is atomic. ON CONFLICT locks the row, waiting for a concurrent writer, and
-- evaluates the WHERE clause on the latest committed version: of two concurrent acquirers the
-- second sees the first's lease, so they cannot both win.
--
-- * Renewal: the row still records this instance's term `$4` and it still leads. Nobody else can
--   have held the lease since: every other acquisition changes the holder and raises the term, a
--   release clears the holder, and each term is granted once. The term is kept.
-- * New leadership, term + 1, so it is strictly higher than every earlier one (a release keeps the
--   term, so the row must never be deleted; a new row starts at 1, or above this instance's `$4`):
--   - the lease is free (released, never held) or expired by the database's clock, or
--   - the row still records this instance's term `$4` but it has stepped down (a renewal failed or
--     came too late): it takes its own lease back without waiting for it to expire. A second
--     process started with the same instance id cannot do this, as it was never granted `$4`.
-- * Otherwise another holder's unexpired lease is left alone and no row is returned.
--
-- clock_timestamp() is the time of evaluation, after any lock wait; now() would be the start of
-- the transaction.
INSERT INTO "{{schema}}"."{{prefix}}locks" AS lease (name, holder, term, expires_at)
VALUES ($1, $2, COALESCE($4::bigint, 0) + 1, clock_timestamp() + $3::double precision * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE
SET holder = excluded.holder,
    term = CASE
      WHEN lease.holder = excluded.holder AND lease.term = $4::bigint AND $5::boolean THEN lease.term
      ELSE lease.term + 1
    END,
    expires_at = clock_timestamp() + $3::double precision * interval '1 millisecond'
WHERE (lease.holder = excluded.holder AND lease.term = $4::bigint)
   OR lease.holder IS NULL
   OR lease.expires_at IS NULL
   OR lease.expires_at <= clock_timestamp()
RETURNING lease.term::text AS term
