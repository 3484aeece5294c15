import type { Job } from "../jobs/job.js";
import type { Store } from "../store/store.js";
import type { OverlapPolicy } from "./schedule-controls.js";
import { TICK_METADATA } from "./tick-metadata.js";

/** What a firing does under its overlap policy. */
export interface OverlapDecision {
  /** The ticks that make a job now (a subset of the due ticks). */
  ticks: Date[];
  /** The earlier tick jobs to cancel before the new ones are enqueued. */
  cancel: Job[];
  /** Under `bufferOne`: the tick to keep until the running job is final, or `null`. */
  buffer: Date | null;
}

const PAGE = 1_000;

/**
 * The jobs of `schedule`'s own ticks that are not final (scheduled, pending, running or failed),
 * in its template's queue: the jobs its overlap policy looks at. Triggered and backfilled jobs
 * (which carry `sched.origin`) and jobs of the same name enqueued by hand are left out.
 */
export async function activeTickJobs(store: Store, schedule: string, queue: string): Promise<Job[]> {
  const found: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listJobs({
      name: schedule,
      queue,
      status: ["scheduled", "pending", "running", "failed"],
      limit: PAGE,
      cursor,
    });
    for (const job of page.jobs) {
      if (
        job.metadata[TICK_METADATA.schedule] === schedule &&
        job.metadata[TICK_METADATA.origin] === undefined
      ) {
        found.push(job);
      }
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  return found;
}

/**
 * Applies an overlap policy to the due ticks of one firing, given the schedule's tick jobs that
 * are not final and whether a tick is already buffered. Under `skip`, `bufferOne` and
 * `cancelOther` one firing makes at most one job (the latest due tick): several at once would
 * overlap each other.
 */
export function decideOverlap(
  policy: OverlapPolicy,
  due: Date[],
  active: readonly Job[],
  buffered: boolean,
): OverlapDecision {
  const none = { ticks: [], cancel: [], buffer: null };
  if (policy === "allow" || due.length === 0) return { ticks: due, cancel: [], buffer: null };
  const latest = due[due.length - 1] as Date;
  switch (policy) {
    case "skip":
      return active.length === 0 ? { ...none, ticks: [latest] } : none;
    case "bufferOne":
      if (active.length === 0 && !buffered) return { ...none, ticks: [latest] };
      // One waits already (a job not yet running, or a buffered tick): this tick makes nothing.
      if (buffered || active.some((job) => job.status !== "running")) return none;
      return { ...none, buffer: latest };
    case "cancelOther":
      return { ticks: [latest], cancel: [...active], buffer: null };
    default:
      return { ticks: due, cancel: [], buffer: null };
  }
}
