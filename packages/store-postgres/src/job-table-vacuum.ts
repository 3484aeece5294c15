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
 */
export class JobTableVacuum {
  private ended = 0;
  private running: Promise<void> | null = null;
  /** No vacuum starts before this instant (`now()` ms). */
  private restUntil = Number.NEGATIVE_INFINITY;

  /**
   * @param every Jobs ended between two vacuums; 0 turns the vacuum off.
   * @param vacuum Runs the VACUUM statement (sql/vacuum-jobs.sql); its failures are ignored (a
   *   vacuum is maintenance: a later one, or autovacuum, does the work).
   * @param now A monotonic clock in ms, for the rest between two vacuums.
   */
  constructor(
    private readonly every: number,
    private readonly vacuum: () => Promise<unknown>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Counts `count` jobs that ended; starts a vacuum once `every` have since the last one and the
   * rest after the last one is over (the jobs ended meanwhile stay counted).
   */
  jobsEnded(count: number): void {
    if (this.every === 0 || count <= 0) return;
    this.ended += count;
    if (this.ended >= this.every && this.now() >= this.restUntil) this.start();
  }

  /** Starts a vacuum now (whatever the rest), unless one is running or the vacuum is off. */
  start(): void {
    if (this.every === 0 || this.running !== null) return;
    this.ended = 0;
    const started = this.now();
    const finish = (): void => {
      const ended = this.now();
      this.restUntil = ended + REST_FACTOR * (ended - started);
      this.running = null;
    };
    this.running = this.vacuum().then(finish, finish);
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
