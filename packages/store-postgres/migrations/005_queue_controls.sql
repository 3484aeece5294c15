-- @sched/store-postgres, migration 005: queue controls (pause, concurrency and rate limits of a
-- queue and of each group of a queue, push-backs, fair rotation between groups) and
-- deduplication windows.
--
--   * jobs.group_key: the job's group (`Job.group`), null for none;
--   * <prefix>queues: one row per queue that needs the controlled claim: its stored controls
--     (`updated_at` is null while none were written: the row then only keeps claim state) and its
--     claim state (how many jobs were claimed, when the jobs without group were last served, the
--     current rate window). A queue gets its row from `updateQueue`, from a push-back, or from the
--     first enqueue of a job with a group. Queues without a row are claimed as before, by one
--     statement (claim_jobs of 002_job_life.sql);
--   * <prefix>queue_groups: the claim state of each group of a queue that was ever served or
--     pushed back (last served, push-back, rate window);
--   * <prefix>dedupe_windows: the open deduplication window of each (queue, key);
--   * claim_due_jobs: the claim every new instance calls (see below), next_due_at_unpaused: the
--     earliest due time leaving paused queues out, create_deduped_job: an insert under a
--     deduplication window, new_job_rows: new_jobs with the group;
--   * two partial indexes: waiting jobs by queue and group (the heads of each group), and running
--     jobs by queue and group (the counts the concurrency limits compare).
--
-- Placeholders as in 001_init.sql. The new column has no default (no rewrite of the table); the two
-- indexes are built under a SHARE lock, which holds back writes to the jobs table while they are
-- built: on a large table, run it when the queue is quiet. Instances of the previous release keep
-- working during a rolling deploy (their statements and functions are left as they are), but
-- they claim without the controls: the controls hold once every instance runs this release.

ALTER TABLE "{{schema}}"."{{prefix}}jobs" ADD COLUMN group_key text COLLATE "C";

-- The due jobs of each group of a queue in claim order (group_key null: the jobs without group,
-- which rotate as one more group), and the distinct groups with waiting jobs (a loose index scan).
CREATE INDEX "{{prefix}}jobs_claim_group"
  ON "{{schema}}"."{{prefix}}jobs" (queue, group_key, priority DESC, scheduled_at, id)
  WHERE status IN ('scheduled', 'pending', 'failed');

-- Running jobs of a queue, and of a group of the queue: what a concurrency limit counts.
CREATE INDEX "{{prefix}}jobs_running_group"
  ON "{{schema}}"."{{prefix}}jobs" (queue, group_key)
  WHERE status = 'running';

CREATE TABLE "{{schema}}"."{{prefix}}queues" (
  name text COLLATE "C" NOT NULL,
  -- The stored controls (QueueRecord). rate_max and rate_per_ms are both set or both null, and so
  -- are group_rate_max and group_rate_per_ms; has_group_limits says whether `group` is set.
  paused boolean NOT NULL DEFAULT false,
  concurrency integer,
  rate_max integer,
  rate_per_ms bigint,
  has_group_limits boolean NOT NULL DEFAULT false,
  group_concurrency integer,
  group_rate_max integer,
  group_rate_per_ms bigint,
  limited_until timestamptz,
  -- Null while no controls were written and no push-back: getQueue and listQueues leave the
  -- row out (it only keeps claim state, for a queue that got a job with a group).
  updated_at timestamptz,
  -- The claim state. `claims` counts the jobs ever claimed from the queue: the clock of the
  -- rotation between groups (the order of claims, not their time, decides).
  claims bigint NOT NULL DEFAULT 0,
  -- The value of `claims` when a job without group was last claimed, null for never.
  ungrouped_served bigint,
  -- The rate window of the queue's last claim (its start in ms since the epoch) and the claims in it.
  window_start_ms bigint,
  window_claims integer NOT NULL DEFAULT 0,
  CONSTRAINT "{{prefix}}queues_pkey" PRIMARY KEY (name)
);

CREATE TABLE "{{schema}}"."{{prefix}}queue_groups" (
  queue text COLLATE "C" NOT NULL,
  group_key text COLLATE "C" NOT NULL,
  -- The value of the queue's `claims` when a job of the group was last claimed, null for never.
  last_served bigint,
  -- No job of the group is claimed before this instant (a handler's rateLimited), or null.
  limited_until timestamptz,
  window_start_ms bigint,
  window_claims integer NOT NULL DEFAULT 0,
  -- Whether the group is in the rotation, the groups a claim visits: true from the claim that
  -- reads its arrival (see group_arrivals) until a claim finds no job of it waiting or running.
  waiting boolean NOT NULL DEFAULT true,
  CONSTRAINT "{{prefix}}queue_groups_pkey" PRIMARY KEY (queue, group_key)
);

-- The rotation of a queue in the order a claim visits it: least recently served first (the groups
-- never served, last_served null, are read apart and ordered by their first due job).
CREATE INDEX "{{prefix}}queue_groups_rotation"
  ON "{{schema}}"."{{prefix}}queue_groups" (queue, last_served)
  WHERE waiting;

-- One row per statement that made jobs of a group wait (an enqueue, a schedule tick, a
-- deduplicated insert, a requeue) and per group, until the next claim of the queue reads it and
-- puts the group (back) in the rotation. Appending takes no lock that a claim or another enqueue
-- waits for, and a row is read once its statement commits: a claim that took a group out of the
-- rotation without seeing a job being enqueued in it meanwhile finds the job's row next time.
-- Jobs that go back to waiting from running (a retry, a release, a lost lease, a push-back) need
-- none: a group with a running job stays in the rotation.
CREATE TABLE "{{schema}}"."{{prefix}}group_arrivals" (
  queue text COLLATE "C" NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  group_key text COLLATE "C" NOT NULL,
  CONSTRAINT "{{prefix}}group_arrivals_pkey" PRIMARY KEY (queue, id)
);

CREATE TABLE "{{schema}}"."{{prefix}}dedupe_windows" (
  queue text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  -- The job that opened the window (throttle) or that later jobs fold into (debounce).
  job_id text COLLATE "C" NOT NULL,
  opened_at timestamptz NOT NULL,
  -- The end of the window for throttling (a debounce window is open while its job waits).
  expires_at timestamptz NOT NULL,
  CONSTRAINT "{{prefix}}dedupe_windows_pkey" PRIMARY KEY (queue, key)
);

-- The rows of new jobs read from one JSON array, as new_jobs (004_statement_functions.sql) with the
-- group as the last column. new_jobs stays for the previous release's statements.
CREATE FUNCTION "{{schema}}"."{{prefix}}new_job_rows"(jobs json)
RETURNS TABLE (id text, name text, queue text, status text, priority integer, payload json,
  metadata json, max_retries integer, timeout_ms bigint, scheduled_at timestamptz,
  created_at timestamptz, unique_key text, group_key text)
LANGUAGE sql STABLE
AS $new_job_rows$
  SELECT t.id, t.name, t.queue, t.status, t.priority, t.payload, coalesce(t.metadata, '{}'),
    t.max_retries, t.timeout_ms, t.scheduled_at, t.created_at, t.unique_key, t.group_key
  FROM json_to_recordset(jobs) AS t(id text, name text, queue text, status text,
    priority integer, payload json, metadata json, max_retries integer, timeout_ms bigint,
    scheduled_at timestamptz, created_at timestamptz, unique_key text, group_key text)
$new_job_rows$;

-- The start (ms since the epoch) of the window of `per_ms` ms, aligned to the epoch, that holds
-- `at`: windows are [k·per, (k+1)·per).
CREATE FUNCTION "{{schema}}"."{{prefix}}window_start_ms"(at timestamptz, per_ms bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE
AS $window_start$
  SELECT (floor(extract(epoch FROM at) * 1000)::bigint / per_ms) * per_ms
$window_start$;

-- The distinct queues with waiting jobs, in name order: a loose index scan of jobs_claim_group,
-- one index descent per queue.
CREATE FUNCTION "{{schema}}"."{{prefix}}waiting_queues"()
RETURNS text[]
LANGUAGE sql STABLE
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $waiting_queues$
  WITH RECURSIVE queues AS (
    (SELECT j.queue FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('scheduled', 'pending', 'failed')
      ORDER BY j.queue LIMIT 1)
    UNION ALL
    SELECT next.queue FROM queues CROSS JOIN LATERAL (
      SELECT j.queue FROM "{{schema}}"."{{prefix}}jobs" AS j
      WHERE j.status IN ('scheduled', 'pending', 'failed') AND j.queue > queues.queue
      ORDER BY j.queue LIMIT 1
    ) AS next
  )
  SELECT coalesce(array_agg(queues.queue), '{}') FROM queues
$waiting_queues$;

-- One member of a queue's rotation as a claim sees it: how many jobs the group may give
-- (`allowance`: none while it is pushed back, else at most budget, group_concurrency minus its
-- running jobs and group_rate_max minus its window's claims), its first due job with one of
-- job_names in claim order (looked up only when allowance > 0), and whether it is `drained`: no job
-- of it waits or runs. A set-returning SQL function, so that the planner inlines it into the
-- claim's queries: a member costs a few index probes (jobs_running_group, jobs_claim_group).
CREATE FUNCTION "{{schema}}"."{{prefix}}rotation_member"(
  queue_name text,
  member_group text,
  member_limited_until timestamptz,
  member_window_start_ms bigint,
  member_window_claims integer,
  claim_now timestamptz,
  job_names text[],
  budget bigint,
  group_concurrency integer,
  group_rate_max integer,
  group_window bigint
) RETURNS TABLE (allowance bigint, head_id text, head_priority integer,
  head_scheduled_at timestamptz, drained boolean)
LANGUAGE sql STABLE
AS $rotation_member$
  SELECT a.allowance, h.id, h.priority, h.scheduled_at,
    h.id IS NULL
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}jobs" AS w
        WHERE w.queue = queue_name AND w.group_key = member_group
          AND w.status IN ('scheduled', 'pending', 'failed'))
      AND NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}jobs" AS r
        WHERE r.queue = queue_name AND r.group_key = member_group AND r.status = 'running')
  FROM (
    SELECT CASE WHEN member_limited_until > claim_now THEN 0 ELSE least(budget,
      CASE WHEN group_concurrency IS NULL THEN budget
        ELSE group_concurrency - (SELECT count(*) FROM (
          SELECT FROM "{{schema}}"."{{prefix}}jobs" AS r
          WHERE r.queue = queue_name AND r.group_key = member_group AND r.status = 'running'
          LIMIT group_concurrency) AS running) END,
      CASE WHEN group_rate_max IS NULL THEN budget
        WHEN member_window_start_ms = group_window THEN group_rate_max - member_window_claims
        ELSE group_rate_max END) END AS allowance
  ) AS a
  LEFT JOIN LATERAL (
    SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
    WHERE a.allowance > 0 AND j.queue = queue_name AND j.group_key = member_group
      AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
      AND (job_names IS NULL OR j.name = ANY (job_names))
    ORDER BY j.priority DESC, j.scheduled_at, j.id
    LIMIT 1
  ) AS h ON true
$rotation_member$;

-- Claims up to batch_size due jobs of one queue that has a row in <prefix>queues, with one of
-- job_names (every name when NULL), under the queue's controls; returns them in claim order. See
-- Store.claimDueJobs in @sched/core for the rules.
--
-- The queue's row is locked first, in a statement of its own: claimers of the queue take turns,
-- and each later statement here takes a new snapshot (READ COMMITTED, VOLATILE function), so it
-- sees every job the previous holder of the lock claimed, and the counters it wrote. Then:
--
--   1. the queue's budget: none when paused or pushed back; at most `concurrency` minus its
--      running jobs; at most `rate_max` minus the claims already in the current window;
--   2. the groups of the queue's arrivals join the rotation (<prefix>queue_groups.waiting);
--   3. round one: the members of the rotation are visited in its order, the groups never served
--      first (by their first due job's claim order), then by last_served through
--      queue_groups_rotation, the jobs without group as one more member at their own place
--      (ungrouped_served). Each member gives its first due job when its own limits leave it any
--      (group concurrency minus its running jobs, group rate minus its window's claims; none while
--      pushed back; unlimited for the jobs without group). The visit stops once budget members
--      gave a job: a claim reads the members it takes and the ones it passes over before them
--      (held back by their limits, or with no due job), not the whole rotation;
--   4. only when round one leaves budget unfilled, every member having been visited: further
--      rounds, the n-th job of every member before the (n+1)-th of any, in the same order, each
--      member read up to its allowance (and never more than the rest of the budget could take);
--   5. the chosen jobs are leased (a row changed meanwhile, say cancelled, is passed over), and
--      the counters written: the queue's `claims` and window, each served group's `last_served`
--      (the position of its last job in this claim) and window;
--   6. the groups visited with no job waiting or running leave the rotation.
--
-- Its statements keep one generic plan each (plan_cache_mode): with sequential and bitmap scans
-- off, their plans do not depend on the values, and a custom plan would plan them on every claim.
CREATE FUNCTION "{{schema}}"."{{prefix}}claim_controlled_queue"(
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
    queue_window := "{{schema}}"."{{prefix}}window_start_ms"(claim_now, control.rate_per_ms);
    budget := least(budget, control.rate_max - CASE WHEN control.window_start_ms = queue_window
      THEN control.window_claims ELSE 0 END);
  END IF;
  IF budget <= 0 THEN
    RETURN;
  END IF;
  IF control.group_rate_max IS NOT NULL THEN
    group_window := "{{schema}}"."{{prefix}}window_start_ms"(claim_now, control.group_rate_per_ms);
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

  -- 3. Round one. The jobs without group are a member without group limits.
  SELECT j.id, j.priority, j.scheduled_at
  INTO ungrouped_id, ungrouped_priority, ungrouped_scheduled_at
  FROM "{{schema}}"."{{prefix}}jobs" AS j
  WHERE j.queue = queue_name AND j.group_key IS NULL
    AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
    AND (job_names IS NULL OR j.name = ANY (job_names))
  -- group_key first: the order of jobs_claim_group, so that the planner reads that index (an
  -- IS NULL condition does not make the column a constant of the order, as = would).
  ORDER BY j.group_key, j.priority DESC, j.scheduled_at, j.id
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
          (SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
            WHERE m.group_key IS NOT NULL AND j.queue = queue_name AND j.group_key = m.group_key
              AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
              AND (job_names IS NULL OR j.name = ANY (job_names))
            ORDER BY j.priority DESC, j.scheduled_at, j.id
            LIMIT least(m.allowance, budget - cardinality(member_heads) + 1))
          UNION ALL
          (SELECT j.id, j.priority, j.scheduled_at FROM "{{schema}}"."{{prefix}}jobs" AS j
            WHERE m.group_key IS NULL AND j.queue = queue_name AND j.group_key IS NULL
              AND j.status IN ('scheduled', 'pending', 'failed') AND j.scheduled_at <= claim_now
              AND (job_names IS NULL OR j.name = ANY (job_names))
            ORDER BY j.group_key, j.priority DESC, j.scheduled_at, j.id
            LIMIT budget - cardinality(member_heads) + 1)
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
        WHEN s.window_start_ms = group_window THEN s.window_claims + c.claimed
        ELSE c.claimed END,
      window_start_ms = coalesce(group_window, s.window_start_ms)
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

-- Claims up to batch_size due jobs with one of job_names (every name when NULL), from every queue
-- (queue_names NULL) or the named ones, and leases them; returns them, each queue's in its claim
-- order. What every instance of this release calls.
--
-- Queues without a row in <prefix>queues go through claim_jobs (002_job_life.sql), the single
-- statement of before: when no queue has a row, a claim costs one more index probe than it did.
-- Each queue with a row goes through claim_controlled_queue, in name order (claimers that take
-- several queue locks take them in the same order, so they never deadlock), with what the
-- previous queues left of batch_size; then the queues without a row share the rest.
CREATE FUNCTION "{{schema}}"."{{prefix}}claim_due_jobs"(
  claim_now timestamptz,
  batch_size integer,
  lease_until timestamptz,
  worker_id text,
  queue_names text[],
  job_names text[]
) RETURNS SETOF "{{schema}}"."{{prefix}}jobs"
LANGUAGE plpgsql VOLATILE
AS $claim_due$
DECLARE
  controlled text[];
  plain text[];
  queue_name text;
  remaining bigint := batch_size;
  claimed bigint;
BEGIN
  IF queue_names IS NULL THEN
    IF NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues") THEN
      RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"(
        claim_now, batch_size, lease_until, worker_id, NULL, job_names)
      ORDER BY priority DESC, scheduled_at, id;
      RETURN;
    END IF;
    queue_names := "{{schema}}"."{{prefix}}waiting_queues"();
  END IF;
  SELECT array_agg(q.name ORDER BY q.name) FILTER (WHERE c.name IS NOT NULL),
    array_agg(q.name) FILTER (WHERE c.name IS NULL)
  INTO controlled, plain
  FROM (SELECT DISTINCT u.name COLLATE "C" AS name FROM unnest(queue_names) AS u(name)) AS q
  LEFT JOIN "{{schema}}"."{{prefix}}queues" AS c ON c.name = q.name;
  IF controlled IS NOT NULL THEN
    -- The claims below are committed asynchronously, as claim_jobs's (see 001_init.sql).
    PERFORM set_config('synchronous_commit', 'off', true);
    FOREACH queue_name IN ARRAY controlled LOOP
      EXIT WHEN remaining <= 0;
      RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_controlled_queue"(
        queue_name, claim_now, remaining::integer, lease_until, worker_id, job_names);
      GET DIAGNOSTICS claimed = ROW_COUNT;
      remaining := remaining - claimed;
    END LOOP;
  END IF;
  IF plain IS NOT NULL AND remaining > 0 THEN
    RETURN QUERY SELECT * FROM "{{schema}}"."{{prefix}}claim_jobs"(
      claim_now, remaining::integer, lease_until, worker_id, plain, job_names)
    ORDER BY priority DESC, scheduled_at, id;
  END IF;
END
$claim_due$;

-- The earliest scheduled_at of a waiting job with one of job_names (every name when NULL), in every
-- queue (queue_names NULL) or the named ones, leaving paused queues out.
CREATE FUNCTION "{{schema}}"."{{prefix}}next_due_at_unpaused"(queue_names text[], job_names text[])
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $next_due_unpaused$
BEGIN
  IF NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.paused) THEN
    RETURN "{{schema}}"."{{prefix}}next_due_at"(queue_names, job_names);
  END IF;
  IF queue_names IS NULL THEN
    queue_names := "{{schema}}"."{{prefix}}waiting_queues"();
  END IF;
  RETURN "{{schema}}"."{{prefix}}next_due_at"(array(
    SELECT u.name FROM unnest(queue_names) AS u(name)
    WHERE NOT EXISTS (SELECT FROM "{{schema}}"."{{prefix}}queues" AS q WHERE q.name = u.name AND q.paused)
  ), job_names);
END
$next_due_unpaused$;

-- Inserts one job (new_job: a JSON array of one new job, as for new_job_rows) under the
-- deduplication window of its queue and dedupe_key, atomically; see Store.createDedupedJob in
-- @sched/core for the rules. Returns what happened (`created`, `throttled` or `debounced`), the id
-- of the window's job and that job as it is afterwards (row_to_json of its row; null when it no
-- longer exists). An inserted job wakes its queue on `channel` (unless null), as an enqueue does,
-- and so does a debounced one (its run time moved).
--
-- The window's row is locked first: callers with the same queue and key take turns, and each later
-- statement takes a new snapshot, so it sees what the previous one committed. With no window, one
-- is inserted; of concurrent inserters exactly one succeeds, the others wait for it to commit and
-- lock its row on their next turn of the loop.
CREATE FUNCTION "{{schema}}"."{{prefix}}create_deduped_job"(
  new_job json,
  dedupe_key text,
  dedupe_mode text,
  ttl_ms bigint,
  max_wait_ms bigint,
  dedupe_now timestamptz,
  channel text
) RETURNS TABLE (outcome text, window_job_id text, job json)
LANGUAGE plpgsql VOLATILE
AS $create_deduped$
DECLARE
  fresh record;
  open_window "{{schema}}"."{{prefix}}dedupe_windows"%ROWTYPE;
  opened boolean := false;
  run_at timestamptz;
  stored "{{schema}}"."{{prefix}}jobs"%ROWTYPE;
BEGIN
  SELECT * INTO fresh FROM "{{schema}}"."{{prefix}}new_job_rows"(new_job) LIMIT 1;
  LOOP
    SELECT * INTO open_window FROM "{{schema}}"."{{prefix}}dedupe_windows" AS w
    WHERE w.queue = fresh.queue AND w.key = dedupe_key
    FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO "{{schema}}"."{{prefix}}dedupe_windows" (queue, key, job_id, opened_at, expires_at)
    VALUES (fresh.queue, dedupe_key, fresh.id, dedupe_now, dedupe_now + ttl_ms * interval '1 millisecond')
    ON CONFLICT (queue, key) DO NOTHING;
    IF FOUND THEN
      opened := true;
      EXIT;
    END IF;
  END LOOP;

  IF NOT opened THEN
    IF dedupe_mode = 'throttle' AND dedupe_now < open_window.expires_at THEN
      RETURN QUERY SELECT 'throttled'::text, open_window.job_id::text, (
        SELECT row_to_json(j) FROM "{{schema}}"."{{prefix}}jobs" AS j WHERE j.id = open_window.job_id);
      RETURN;
    END IF;
    IF dedupe_mode = 'debounce' THEN
      run_at := least(fresh.scheduled_at, open_window.opened_at + max_wait_ms * interval '1 millisecond');
      UPDATE "{{schema}}"."{{prefix}}jobs" AS j
      SET payload = fresh.payload, scheduled_at = run_at,
        status = CASE WHEN run_at > dedupe_now THEN 'scheduled' ELSE 'pending' END
      WHERE j.id = open_window.job_id AND j.queue = fresh.queue AND j.status IN ('scheduled', 'pending')
      RETURNING j.* INTO stored;
      IF FOUND THEN
        PERFORM "{{schema}}"."{{prefix}}notify_queues"(channel, ARRAY[stored.queue]);
        RETURN QUERY SELECT 'debounced'::text, stored.id::text, row_to_json(stored);
        RETURN;
      END IF;
    END IF;
    UPDATE "{{schema}}"."{{prefix}}dedupe_windows" AS w
    SET job_id = fresh.id, opened_at = dedupe_now, expires_at = dedupe_now + ttl_ms * interval '1 millisecond'
    WHERE w.queue = fresh.queue AND w.key = dedupe_key;
  END IF;

  -- A new window: the job as given, a debounced one due by the window's opening plus max_wait_ms.
  run_at := fresh.scheduled_at;
  IF dedupe_mode = 'debounce' THEN
    run_at := least(run_at, dedupe_now + max_wait_ms * interval '1 millisecond');
  END IF;
  INSERT INTO "{{schema}}"."{{prefix}}jobs" (id, name, queue, status, priority, payload, metadata,
    max_retries, timeout_ms, scheduled_at, created_at, unique_key, group_key)
  VALUES (fresh.id, fresh.name, fresh.queue,
    CASE WHEN run_at = fresh.scheduled_at THEN fresh.status
      WHEN run_at > dedupe_now THEN 'scheduled' ELSE 'pending' END,
    fresh.priority, fresh.payload, fresh.metadata, fresh.max_retries, fresh.timeout_ms, run_at,
    fresh.created_at, fresh.unique_key, fresh.group_key)
  RETURNING * INTO stored;
  IF stored.group_key IS NOT NULL THEN
    INSERT INTO "{{schema}}"."{{prefix}}queues" (name) VALUES (stored.queue) ON CONFLICT (name) DO NOTHING;
    INSERT INTO "{{schema}}"."{{prefix}}group_arrivals" (queue, group_key) VALUES (stored.queue, stored.group_key);
  END IF;
  PERFORM "{{schema}}"."{{prefix}}notify_queues"(channel, ARRAY[stored.queue]);
  RETURN QUERY SELECT 'created'::text, stored.id::text, row_to_json(stored);
END
$create_deduped$;

INSERT INTO "{{schema}}"."{{prefix}}migrations" (version, name) VALUES (5, '005_queue_controls');
