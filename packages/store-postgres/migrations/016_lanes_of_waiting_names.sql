-- @sched/store-postgres, migration 016: a claim from a controlled queue looks only at the lanes
-- of the claimer's names that have jobs waiting in the queue.
--
--   * Migration 015 gave each group of a controlled queue one lane per name the claimer runs: one
--     index descent per name for each group the rotation visits (and for the jobs without group),
--     whether or not any job of that name waits in the queue. A worker that registers many names
--     paid for all of them in every group: measured on 1,000 groups of jobs of one name, a claim
--     of 100 jobs took 5 ms for a worker of 10 names, 10 ms for 50 and 27 ms for 200.
--   * The claim now first finds which of its names wait in the queue: one descent of
--     jobs_claim_queue_name per name, in one statement, once per claim (about as much as 015's
--     lanes of the jobs without group, which it also made once per claim). Every lane after that
--     (the jobs without group, each group of the rotation, the further rounds) is one of those
--     names only: a group costs one descent per claimer's name that waits somewhere in the queue,
--     never more than under 015, whatever else the claimer registers.
--   * When none of the claimer's names waits in the queue, the claim ends there: it no longer walks
--     every group of the rotation to find nothing (an empty claim over 2,000 groups by a worker of
--     another name: 9.0 -> 0.4 ms). The groups that drained and the arrivals stay for the next
--     claim that has names to look at.
--   * A job of a name committed after that look waits for the next claim (its enqueue wakes the
--     workers), as one of a new group does.
--
-- Placeholders as in 001_init.sql. One function is replaced (same arguments, same result), no
-- table changes: quick on any table size; instances of the previous release call it too.

CREATE OR REPLACE FUNCTION "{{schema}}"."{{prefix}}claim_controlled_queue"(
  queue_name text,
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  job_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $claim_controlled$
DECLARE
  control "{{schema}}"."{{prefix}}queues"%ROWTYPE;
  budget bigint := batch_size;
  running bigint;
  queue_window bigint;
  group_window bigint;
  ungrouped_id text;
  ungrouped_priority integer;
  ungrouped_scheduled_at timestamptz;
  ungrouped_due boolean;
  rotation refcursor;
  member record;
  served record;
  fetched boolean;
  member_groups text[] := '{}';
  member_heads text[] := '{}';
  member_allowances bigint[] := '{}';
  drained_groups text[] := '{}';
  chosen_ids text[];
  claimed_ids text[];
  claimed_groups text[];
  claimed_positions bigint[];
BEGIN
  SELECT * INTO control FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = queue_name FOR UPDATE;
  IF NOT FOUND OR control.paused OR control.limited_until > claim_now THEN
    RETURN;
  END IF;
  IF control.concurrency IS NOT NULL THEN
    SELECT count(*) INTO running FROM "{{schema}}"."{{prefix}}jobs" AS j
    WHERE j.queue = queue_name AND j.status = 'running';
    budget := least(budget, control.concurrency - running);
  END IF;
  IF control.rate_max IS NOT NULL THEN
    -- A claim whose claim_now lies in an earlier window than the stored one (a slower clock, or a
    -- claim that waited for the row) counts in the stored window: it must not reset it.
    queue_window := greatest("{{schema}}"."{{prefix}}window_start_ms"(claim_now, control.rate_per_ms),
      control.window_start_ms);
    budget := least(budget, control.rate_max - CASE WHEN control.window_start_ms = queue_window
      THEN control.window_claims ELSE 0 END);
  END IF;
  IF budget <= 0 THEN
    RETURN;
  END IF;
  IF control.group_rate_max IS NOT NULL THEN
    group_window := "{{schema}}"."{{prefix}}window_start_ms"(claim_now, control.group_rate_per_ms);
  END IF;

  -- The lanes to look at: the claimer's names that wait in the queue, each once; for any name,
  -- every name waiting in the queue (a loose index scan of jobs_claim_queue_name, ordered by the
  -- queue first so that no other index gives the order).
  IF job_names IS NULL THEN
    WITH RECURSIVE lanes AS (
      (SELECT j.name FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue >= queue_name AND j.queue <= queue_name
          AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.queue, j.name LIMIT 1)
      UNION ALL
      SELECT next.name FROM lanes CROSS JOIN LATERAL (
        SELECT j.name FROM "{{schema}}"."{{prefix}}jobs" AS j
        WHERE j.queue >= queue_name AND j.queue <= queue_name AND j.name > lanes.name
          AND j.status IN ('scheduled', 'pending', 'failed')
        ORDER BY j.queue, j.name LIMIT 1
      ) AS next
    )
    SELECT coalesce(array_agg(lanes.name), '{}') INTO job_names FROM lanes;
  ELSE
    -- The claimer's names that wait in the queue, each once: one descent of jobs_claim_queue_name
    -- per name, in one statement. The queue is matched by equality and by a redundant range
    -- (queue >= $q), an index condition that jobs_claim_name (the same order after the name
    -- alone) can only filter by, as in jobs_waiting_in() (014_generic_waiting_check.sql).
    SELECT coalesce(array_agg(n.name ORDER BY n.name), '{}') INTO job_names
    FROM (SELECT DISTINCT u.name FROM unnest(job_names) AS u(name)) AS n
    CROSS JOIN LATERAL (
      SELECT FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.queue = queue_name AND j.queue >= queue_name AND j.name = n.name
        AND j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.priority DESC, j.scheduled_at, j.id
      LIMIT 1
    ) AS head;
  END IF;

  -- None of the claimer's names waits in the queue: nothing to claim. The rotation is left as it
  -- is (its arrivals and drained groups wait for the next claim that has names to look at), so an
  -- empty claim does not walk every group.
  IF cardinality(job_names) = 0 THEN
    RETURN;
  END IF;

  -- 2. Arrivals: a group new to the queue gets its row (waiting), one that had left the rotation
  -- comes back. An arrival committed after this statement's snapshot stays for the next claim.
  WITH arrived AS (
    DELETE FROM "{{schema}}"."{{prefix}}group_arrivals" AS a WHERE a.queue = queue_name
    RETURNING a.group_key
  )
  INSERT INTO "{{schema}}"."{{prefix}}queue_groups" AS s (queue, group_key)
  SELECT DISTINCT queue_name, arrived.group_key FROM arrived
  ON CONFLICT (queue, group_key) DO UPDATE SET waiting = true WHERE NOT s.waiting;

  -- 3. Round one. The jobs without group are a member without group limits: the first due job of
  -- each lane (name), merged in claim order.
  SELECT l.id, l.priority, l.scheduled_at
  INTO ungrouped_id, ungrouped_priority, ungrouped_scheduled_at
  FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
    SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
    WHERE j.queue = queue_name AND j.group_key IS NULL AND j.name = n.name
      AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
    -- group_key first: an order only jobs_claim_group_name gives (an IS NULL condition does not
    -- make the column a constant of the order, as = would).
    ORDER BY j.group_key, j.priority DESC, j.scheduled_at, j.id
    LIMIT 1
  ) AS l
  ORDER BY l.priority DESC, l.scheduled_at, l.id COLLATE "C"
  LIMIT 1;
  ungrouped_due := FOUND;

  -- The members never served, by their first due job's claim order (the ones without a due job,
  -- last, only to find the drained ones).
  OPEN rotation FOR
    SELECT m.group_key, m.allowance, m.head_id, m.drained FROM (
      SELECT s.group_key, h.allowance, h.head_id, h.head_priority, h.head_scheduled_at, h.drained
      FROM "{{schema}}"."{{prefix}}queue_groups" AS s
      CROSS JOIN LATERAL "{{schema}}"."{{prefix}}rotation_member"(queue_name, s.group_key,
        s.limited_until, s.window_start_ms, s.window_claims, claim_now, job_names, budget,
        control.group_concurrency, control.group_rate_max, group_window) AS h
      WHERE s.queue = queue_name AND s.waiting AND s.last_served IS NULL
      UNION ALL
      SELECT NULL, budget, ungrouped_id, ungrouped_priority, ungrouped_scheduled_at, false
      WHERE ungrouped_due AND control.ungrouped_served IS NULL
    ) AS m
    ORDER BY m.head_priority DESC NULLS LAST, m.head_scheduled_at, m.head_id COLLATE "C";
  LOOP
    FETCH rotation INTO member;
    EXIT WHEN NOT FOUND;
    IF member.head_id IS NOT NULL THEN
      member_groups := array_append(member_groups, member.group_key);
      member_heads := array_append(member_heads, member.head_id);
      member_allowances := array_append(member_allowances, member.allowance);
      EXIT WHEN cardinality(member_heads) >= budget;
    ELSIF member.drained THEN
      drained_groups := array_append(drained_groups, member.group_key);
    END IF;
  END LOOP;
  CLOSE rotation;

  -- The members served before, least recently first: an index scan of queue_groups_rotation,
  -- read one member at a time, up to the one that fills the budget.
  IF cardinality(member_heads) < budget THEN
    ungrouped_due := ungrouped_due AND control.ungrouped_served IS NOT NULL;
    OPEN rotation FOR
      SELECT s.group_key, s.last_served, h.allowance, h.head_id, h.drained
      FROM "{{schema}}"."{{prefix}}queue_groups" AS s
      CROSS JOIN LATERAL "{{schema}}"."{{prefix}}rotation_member"(queue_name, s.group_key,
        s.limited_until, s.window_start_ms, s.window_claims, claim_now, job_names, budget,
        control.group_concurrency, control.group_rate_max, group_window) AS h
      WHERE s.queue = queue_name AND s.waiting AND s.last_served IS NOT NULL
      ORDER BY s.last_served;
    LOOP
      FETCH rotation INTO served;
      fetched := FOUND;
      -- The jobs without group take their place before the first group served after them.
      IF ungrouped_due THEN
        IF fetched THEN
          ungrouped_due := served.last_served < control.ungrouped_served;
        ELSE
          ungrouped_due := false;
        END IF;
        IF NOT ungrouped_due THEN
          member_groups := array_append(member_groups, NULL::text);
          member_heads := array_append(member_heads, ungrouped_id);
          member_allowances := array_append(member_allowances, budget);
          EXIT WHEN cardinality(member_heads) >= budget;
        END IF;
      END IF;
      EXIT WHEN NOT fetched;
      IF served.head_id IS NOT NULL THEN
        member_groups := array_append(member_groups, served.group_key);
        member_heads := array_append(member_heads, served.head_id);
        member_allowances := array_append(member_allowances, served.allowance);
        EXIT WHEN cardinality(member_heads) >= budget;
      ELSIF served.drained THEN
        drained_groups := array_append(drained_groups, served.group_key);
      END IF;
    END LOOP;
    CLOSE rotation;
  END IF;

  chosen_ids := member_heads;
  IF cardinality(member_heads) < budget AND 1 < ANY (member_allowances) THEN
    -- 4. Further rounds: every member was visited. A member gives at most what the others leave
    -- of the budget after their first job each.
    SELECT array_agg(p.id ORDER BY p.round, p.rank) INTO chosen_ids FROM (
      SELECT d.id, d.round, m.rank
      FROM unnest(member_groups, member_allowances) WITH ORDINALITY AS m(group_key, allowance, rank)
      CROSS JOIN LATERAL (
        SELECT e.id, row_number() OVER (ORDER BY e.priority DESC, e.scheduled_at, e.id) AS round
        FROM (
          SELECT f.id, f.priority, f.scheduled_at FROM (
            SELECT g.id, g.priority, g.scheduled_at
            FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
              SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
              WHERE m.group_key IS NOT NULL AND j.queue = queue_name AND j.group_key = m.group_key
                AND j.group_key >= m.group_key AND j.name = n.name
                AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
              ORDER BY j.priority DESC, j.scheduled_at, j.id
              LIMIT least(m.allowance, budget - cardinality(member_heads) + 1)
            ) AS g
            UNION ALL
            SELECT u.id, u.priority, u.scheduled_at
            FROM unnest(job_names) AS n(name) CROSS JOIN LATERAL (
              SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
              WHERE m.group_key IS NULL AND j.queue = queue_name AND j.group_key IS NULL
                AND j.name = n.name
                AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
              ORDER BY j.group_key, j.priority DESC, j.scheduled_at, j.id
              LIMIT budget - cardinality(member_heads) + 1
            ) AS u
          ) AS f
          ORDER BY f.priority DESC, f.scheduled_at, f.id COLLATE "C"
          LIMIT CASE WHEN m.group_key IS NULL THEN budget - cardinality(member_heads) + 1
            ELSE least(m.allowance, budget - cardinality(member_heads) + 1) END
        ) AS e
      ) AS d
      ORDER BY d.round, m.rank
      LIMIT budget
    ) AS p;
  END IF;

  -- 5. Lease the chosen jobs, numbered from 1 in claim order.
  IF cardinality(chosen_ids) > 0 THEN
    WITH claimed AS (
      UPDATE "{{schema}}"."{{prefix}}jobs" AS j
      SET status = 'running', attempt = j.attempt + 1, started_at = claim_now,
        locked_until = lease_until, locked_by = worker_id
      FROM unnest(chosen_ids) WITH ORDINALITY AS chosen(id, position)
      WHERE j.id = chosen.id AND j.status IN ('scheduled', 'pending', 'failed')
        AND j.scheduled_at <= claim_now
      RETURNING j.id, j.group_key, chosen.position
    )
    SELECT array_agg(c.id ORDER BY c.position), array_agg(c.group_key ORDER BY c.position),
      array_agg(c.position ORDER BY c.position)
    INTO claimed_ids, claimed_groups, claimed_positions
    FROM claimed AS c;
  END IF;

  IF claimed_ids IS NOT NULL THEN
    -- The counters: positions run from 1, so the claim's jobs are numbered claims + 1, claims + 2,
    -- ... in claim order (a job passed over leaves a gap, which keeps the order).
    UPDATE "{{schema}}"."{{prefix}}queues" AS q
    SET claims = q.claims + claimed_positions[cardinality(claimed_positions)],
      ungrouped_served = coalesce((SELECT control.claims + max(c.position)
        FROM unnest(claimed_groups, claimed_positions) AS c(group_key, position)
        WHERE c.group_key IS NULL), q.ungrouped_served),
      window_claims = CASE WHEN q.rate_max IS NULL THEN q.window_claims
        WHEN q.window_start_ms = queue_window THEN q.window_claims + cardinality(claimed_ids)
        ELSE cardinality(claimed_ids) END,
      window_start_ms = CASE WHEN q.rate_max IS NULL THEN q.window_start_ms ELSE queue_window END
    WHERE q.name = queue_name;

    -- Every served group has its row: it was a member of the rotation.
    UPDATE "{{schema}}"."{{prefix}}queue_groups" AS s
    SET last_served = c.last_served,
      window_claims = CASE WHEN group_window IS NULL THEN s.window_claims
        WHEN s.window_start_ms >= group_window THEN s.window_claims + c.claimed
        ELSE c.claimed END,
      window_start_ms = greatest(group_window, s.window_start_ms)
    FROM (
      SELECT u.group_key, control.claims + max(u.position) AS last_served, count(*) AS claimed
      FROM unnest(claimed_groups, claimed_positions) AS u(group_key, position)
      WHERE u.group_key IS NOT NULL
      GROUP BY u.group_key
    ) AS c
    WHERE s.queue = queue_name AND s.group_key = c.group_key;
  END IF;

  -- 6. Drained groups leave the rotation, checked again in this statement's snapshot: a job
  -- enqueued in one since then brings it back through its arrival.
  IF cardinality(drained_groups) > 0 THEN
    UPDATE "{{schema}}"."{{prefix}}queue_groups" AS s SET waiting = false
    WHERE s.queue = queue_name AND s.group_key = ANY (drained_groups) AND s.waiting
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}jobs" AS w
        WHERE w.queue = queue_name AND w.group_key = s.group_key
          AND w.status IN ('scheduled', 'pending', 'failed'))
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}jobs" AS r
        WHERE r.queue = queue_name AND r.group_key = s.group_key AND r.status = 'running');
  END IF;

  IF claimed_ids IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  SELECT j.* FROM unnest(claimed_ids) WITH ORDINALITY AS c(id, n)
  JOIN "{{schema}}"."{{prefix}}jobs" AS j ON j.id = c.id
  ORDER BY c.n;
END
$claim_controlled$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (16, '016_lanes_of_waiting_names');
