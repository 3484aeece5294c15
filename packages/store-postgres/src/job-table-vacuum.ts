/**
 * The store's own vacuum of the jobs table: every job is inserted, updated when claimed and
 * updated (or deleted) when it ends, and none of those updates can be HOT (the status is in every
 * partial index's predicate), so each job leaves two dead row versions in the table and dead
 * entries in its indexes. Until a vacuum removes them, every claim walks past the dead entries at
 * the head of its claim index, and the table and its indexes only grow. Autovacuum wakes at most
 * once per `autovacuum_naptime` (1 min by default), may be throttled or off, and a queue that
 * runs thousands of jobs a second piles up hundreds of thousands of dead versions in between.
 *
 * So the store vacuums the jobs table itself after every `every` jobs that ended through it
 * (completed, failed or dead), and after a cleanup that deleted jobs (the space of the deleted
 * rows becomes reusable at once). One vacuum at a time per store; `VACUUM (SKIP_LOCKED)` skips a
 * table another instance or autovacuum is vacuuming, so instances do not queue up behind each
 * other. A vacuum takes no lock that claims, enqueues or acknowledgements wait for.
 *
 * A vacuum reads every index of the table whole, so its cost grows with the finished jobs kept
 * (the retention), not only with the dead versions: after a vacuum that took `d` ms, the next one
 * waits at least {@link REST_FACTOR}·`d` ms after it, so a store spends at most about a tenth of
 * the time vacuuming however large the table.
 *
 * A vacuum also records how many live rows the table holds (pg_class.reltuples), and the planner
 * scales that by the table's current size: a vacuum that finds the table (nearly) empty, as after
 * a cleanup of every finished job, with its pages kept (`vacuum_truncate` is off), leaves a
 * density of zero rows per page, and every plan made after it takes the table for empty however
 * much it refills. A join of the table with a batch (a claim's lease of its jobs, an
 * acknowledgement of its refs) then read the whole table for each batch: after a cleanup of
 * 20,000 jobs, the next 4,000 ran at an eighth of the rate. So after a vacuum that leaves fewer
 * than {@link NEARLY_EMPTY_ROWS} live rows, the table is analysed once {@link ANALYZE_AFTER_JOBS}
 * more jobs were inserted or ended through the store (plans made before are made again then).
 */
export class JobTableVacuum {
  private ended = 0;
  /** Jobs still to be inserted or ended before the table is analysed; `null`: none is due. */
  private analyzeIn: number | null = null;
  /**
   * Jobs inserted or ended since the vacuum in flight started (`null` when none runs): they count
   * towards the analyze that vacuum may make due when it ends.
   */
  private sinceVacuumStarted: number | null = null;
  private running: Promise<void> | null = null;
  /** No vacuum starts before this instant (`now()` ms). */
  private restUntil = Number.NEGATIVE_INFINITY;

  /**
   * @param every Jobs ended between two vacuums; 0 turns the vacuum (and the analyze) off.
   * @param vacuum Runs the VACUUM statement (sql/vacuum-jobs.sql) and resolves with the live rows
   *   the table's statistics then hold (sql/jobs-live-rows.sql; -1 when unknown); its failures are
   *   ignored (a vacuum is maintenance: a later one, or autovacuum, does the work).
   * @param now A monotonic clock in ms, for the rest between two vacuums.
   * @param analyze Runs sql/analyze-jobs.sql; its failures are ignored too.
   */
  constructor(
    private readonly every: number,
    private readonly vacuum: () => Promise<number>,
    private readonly now: () => number = () => performance.now(),
    private readonly analyze: () => Promise<unknown> = async () => {},
  ) {}

  /**
   * Counts `count` jobs inserted: they count towards the analyze due after a vacuum that left the
   * table nearly empty.
   */
  jobsInserted(count: number): void {
    this.countTowardsAnalyze(count);
  }

  /**
   * Counts `count` jobs that ended; starts a vacuum once `every` have since the last one and the
   * rest after the last one is over (the jobs ended meanwhile stay counted).
   */
  jobsEnded(count: number): void {
    if (this.every === 0 || count <= 0) return;
    this.ended += count;
    if (this.ended >= this.every && this.now() >= this.restUntil) this.start();
    else this.countTowardsAnalyze(count);
  }

  /** Counts `count` jobs inserted or ended towards the analyze due, if one is; starts it once due. */
  private countTowardsAnalyze(count: number): void {
    if (count <= 0) return;
    if (this.sinceVacuumStarted !== null) this.sinceVacuumStarted += count;
    if (this.analyzeIn === null) return;
    this.analyzeIn -= count;
    if (this.analyzeIn <= 0) this.startAnalyze();
  }

  /** Starts a vacuum now (whatever the rest), unless one is running or the vacuum is off. */
  start(): void {
    if (this.every === 0 || this.running !== null) return;
    this.ended = 0;
    this.sinceVacuumStarted = 0;
    const started = this.now();
    const finish = (live?: number): void => {
      const ended = this.now();
      this.restUntil = ended + REST_FACTOR * (ended - started);
      this.running = null;
      const meanwhile = this.sinceVacuumStarted ?? 0;
      this.sinceVacuumStarted = null;
      // A vacuum that saw enough rows set a density the table refills at; one that saw (almost)
      // none did not: analyse once the table has refilled, counting the jobs since it started.
      this.analyzeIn =
        live !== undefined && live >= 0 && live < NEARLY_EMPTY_ROWS ? ANALYZE_AFTER_JOBS - meanwhile : null;
      if (this.analyzeIn !== null && this.analyzeIn <= 0) this.startAnalyze();
    };
    this.running = this.vacuum().then(finish, () => finish());
  }

  /** Analyses the table now, unless a vacuum or analyze is running (a vacuum re-arms it). */
  private startAnalyze(): void {
    if (this.running !== null) return;
    this.analyzeIn = null;
    const finish = (): void => {
      this.running = null;
    };
    this.running = this.analyze().then(finish, finish);
  }

  /**
   * Resolves once the vacuum in flight, if any, has ended, or after `waitMs` ms, whichever comes
   * first (it never rejects).
   */
  settled(waitMs: number): Promise<void> {
    const running = this.running;
    if (running === null) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    return Promise.race([running, waited]).finally(() => clearTimeout(timer));
  }
}

/** How many times its own duration a vacuum is followed by a rest (9: at most a tenth of the time). */
export const REST_FACTOR = 9;

/** Fewer live rows than this after a vacuum, and the table is analysed once it has refilled. */
export const NEARLY_EMPTY_ROWS = 1_000;

/** Jobs inserted or ended after a vacuum that left the table nearly empty, before it is analysed. */
export const ANALYZE_AFTER_JOBS = 1_000;
