import type { ScheduleDefinition, ScheduleRecord } from "../store/store.js";

/**
 * What a schedule's tick does while the job of an earlier tick is not final (`scheduled`,
 * `pending`, `running` or `failed`):
 *
 * - `"allow"` (default): it enqueues its job all the same;
 * - `"skip"`: it enqueues nothing (the tick still advances the plan);
 * - `"bufferOne"`: while a tick's job runs, the next tick is kept (at most one) and its job is
 *   enqueued once the running one is final; further ticks meanwhile make no job;
 * - `"cancelOther"`: it cancels the running and waiting ones, then enqueues its job.
 *
 * Only jobs made by the schedule's ticks count: a triggered or backfilled run neither holds back a
 * tick nor is cancelled by one.
 */
export type OverlapPolicy = "allow" | "skip" | "bufferOne" | "cancelOther";

/** The overlap policies, in the order the error messages list them. */
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["allow", "skip", "bufferOne", "cancelOther"];

/**
 * The steering state a schedule keeps inside its stored definition (an opaque JSON value to every
 * store), so that every instance and the next leader read the same. Each field may be missing in
 * a definition written by an earlier version: its default applies.
 */
export interface ScheduleControls {
  /** Default `"allow"`. */
  overlap?: OverlapPolicy;
  /** Each tick's job is delayed by a deterministic offset in `[0, jitter)`, in ms; default `0`. */
  jitter?: number;
  /** Epoch ms before which no tick fires, or `null` (default). */
  startAt?: number | null;
  /** Whether the schedule is paused (no tick fires); default `false`. Written by pause/resume. */
  paused?: boolean;
  /**
   * Under overlap `"bufferOne"`: the tick (epoch ms) whose job waits for the running one to end,
   * or `null`. Written by the leader; the next leader finds it here.
   */
  buffered?: number | null;
}

/** A stored definition with its steering state. */
export type SteeredDefinition = ScheduleDefinition & ScheduleControls;

/** The steering state of a definition, with the defaults filled in. */
export interface ResolvedControls {
  overlap: OverlapPolicy;
  jitter: number;
  startAt: number | null;
  paused: boolean;
  buffered: number | null;
}

/** Reads the steering state of a stored definition, applying the defaults of missing fields. */
export function controlsOf(definition: ScheduleDefinition): ResolvedControls {
  const def = definition as SteeredDefinition;
  return {
    overlap: def.overlap ?? "allow",
    jitter: typeof def.jitter === "number" && def.jitter > 0 ? def.jitter : 0,
    startAt: typeof def.startAt === "number" ? def.startAt : null,
    paused: def.paused === true,
    buffered: typeof def.buffered === "number" ? def.buffered : null,
  };
}

/**
 * A stored schedule as `getSchedule` and `listSchedules` return it: the record, its definition
 * with the steering state, and `paused` at the top level. While paused, `nextRunAt` is `null`.
 */
export interface ScheduleState extends ScheduleRecord {
  definition: SteeredDefinition;
  /** Whether the schedule is paused: the leader fires none of its ticks. */
  paused: boolean;
}

/** The {@link ScheduleState} of a stored record. */
export function scheduleState(record: ScheduleRecord): ScheduleState {
  return { ...record, paused: controlsOf(record.definition).paused };
}
