/** Metadata keys set on every job a schedule makes. */
export const TICK_METADATA = {
  /** The schedule's name. */
  schedule: "sched.schedule",
  /** The tick (run time) the job stands for, as an ISO 8601 string. */
  tick: "sched.tick",
  /**
   * Set on a job made outside the plan: `"trigger"` (`triggerSchedule`) or `"backfill"`
   * (`backfillSchedule`); absent on the jobs of the schedule's own ticks.
   */
  origin: "sched.origin",
} as const;
