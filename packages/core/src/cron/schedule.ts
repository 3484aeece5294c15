/** Anything that yields the next run time strictly after `after`, or `null` when there is none. */
export interface Schedule {
  /** The first run time strictly after `after`, or `null` when the schedule has ended. */
  next(after: Date): Date | null;
}
