import type { Job } from "../jobs/job.js";

/** Lifecycle callbacks. Exceptions thrown by hooks are logged and never affect the job. */
export interface Hook {
  /** Before each attempt runs. */
  beforeJob?(job: Job): void;
  /** After each attempt; `err` is `null` on success. */
  afterJob?(job: Job, err: Error | null, durationMs: number): void;
  /** After a job was enqueued (including jobs made by schedule ticks). */
  onEnqueue?(job: Job): void;
  /** After a failed attempt was scheduled for retry; `attempt` is the attempt that failed. */
  onRetry?(job: Job, attempt: number, err: Error): void;
  /** After a job became dead. */
  onDead?(job: Job, err: Error): void;
  /**
   * After expired leases were recovered (their instance stopped, stalled or lost the store);
   * `count` jobs went back to pending. A job that lost too many leases (`maxLeaseRecoveries`) is
   * made dead instead: it is not counted here, and `onDead` is called for it with a
   * `SchedulerError` of code `LEASE_EXPIRED`.
   */
  onRecover?(count: number): void;
}

/** The hooks a hook object may have. */
export const HOOK_NAMES = [
  "beforeJob",
  "afterJob",
  "onEnqueue",
  "onRetry",
  "onDead",
  "onRecover",
] as const satisfies ReadonlyArray<keyof Hook>;
