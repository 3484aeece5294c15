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

/**
 * A schedule's job template metadata without the keys the runtime sets ({@link TICK_METADATA}):
 * a template carrying `sched.origin` would otherwise mark every tick's job as a trigger or a
 * backfill, which the overlap policy then ignores.
 */
export function templateMetadata(metadata: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = { ...metadata };
  for (const key of Object.values(TICK_METADATA)) delete own[key];
  return own;
}
