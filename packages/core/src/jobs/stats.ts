/** Job counts by status. */
export interface Stats {
  /** Jobs due and waiting for a worker. */
  pending: number;
  /** Jobs claimed and running now. */
  running: number;
  /** Jobs completed and not yet purged. */
  completed: number;
  /** Jobs whose last attempt failed, waiting for their retry. */
  failed: number;
  /** Jobs in the dead-letter queue. */
  dead: number;
  /** Jobs waiting for a future run time. */
  scheduled: number;
  /** Jobs cancelled and not yet purged. */
  cancelled: number;
  /**
   * The same counts per queue, keyed by queue name. An object without a prototype (a queue may be
   * named `__proto__` or `constructor`): read it with `Object.hasOwn`, `Object.keys` or `in`.
   */
  byQueue?: Record<string, Omit<Stats, "byQueue">>;
}
