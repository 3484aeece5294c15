/**
 * The states of a job. `scheduled` and `pending` wait to run (the first has a future run time),
 * `running` is claimed by a worker, `failed` waits for a retry, and `completed`, `dead` and
 * `cancelled` are final.
 */
export type JobStatus = "pending" | "scheduled" | "running" | "completed" | "failed" | "dead" | "cancelled";

/** Every status of a job, in the order of its life. */
export const JOB_STATUSES: readonly JobStatus[] = [
  "scheduled",
  "pending",
  "running",
  "failed",
  "completed",
  "dead",
  "cancelled",
];

/** The statuses in which a job may still run; a `uniqueKey` is held while its job is in one of them. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["scheduled", "pending", "running", "failed"];

/** The statuses a job never leaves on its own. */
export const FINAL_STATUSES: readonly JobStatus[] = ["completed", "dead", "cancelled"];

/** One failed attempt, kept in {@link Job.history}. */
export interface AttemptFailure {
  /** The attempt number that failed (1 for the first run). */
  attempt: number;
  /** The error message. */
  error: string;
  /** When the failure was recorded. */
  failedAt: Date;
}

/** A job as stored and as handed to handlers. */
export interface Job<P = unknown> {
  /** Unique id (a time-ordered UUID, so ids sort in enqueue order). */
  id: string;
  /** The handler name. */
  name: string;
  /** The JSON payload. */
  payload: P;
  /** The queue the job waits in. */
  queue: string;
  /** Higher runs first. */
  priority: number;
  /** How many times a failed job is retried before it is dead; the job runs at most `maxRetries + 1` times. */
  maxRetries: number;
  /** How many failed attempts have been retried so far. */
  retryCount: number;
  /** Handler timeout in milliseconds; `0` means no timeout. */
  timeout: number;
  /** When the job is (or was) due to run. */
  scheduledAt: Date;
  /** When the job was enqueued. */
  createdAt: Date;
  /** When the current or last attempt started. */
  startedAt: Date | null;
  /** When the job reached a final state. */
  completedAt: Date | null;
  /** The last error message, if any. */
  error: string | null;
  /** The current state. */
  status: JobStatus;
  /** String metadata (tenant, trace context, …). */
  metadata: Record<string, string>;
  /** Key that admits only one non-final job, or `null`. */
  uniqueKey: string | null;
  /**
   * The job's group key (a tenant, a user, an account), or `null`. A queue may limit how many jobs
   * of one group run at once and how many start per window, and claims rotate between groups.
   */
  group: string | null;
  /** How many times the job has been claimed; the current attempt number and the lease's fencing token. */
  attempt: number;
  /**
   * How many times the job's lease expired while it ran: the instance running it stopped, stalled
   * past its lease, or could not reach the store to renew it or to record the attempt's outcome. A
   * job that loses more than `maxLeaseRecoveries` leases is made dead. Reset by `retryJob`.
   */
  lostLeases: number;
  /** The lease expiry of a running job. */
  lockedUntil: Date | null;
  /** The worker instance holding the lease of a running job. */
  lockedBy: string | null;
  /** The failed attempts, oldest first. */
  history: AttemptFailure[];
}

/**
 * The jobs a bulk operation or a listing selects: every field given must match (absent: any).
 * `from` and `to` bound `createdAt` (`from <= createdAt < to`).
 */
export interface JobSelector {
  /** One status or several. */
  status?: JobStatus | JobStatus[];
  /** Only jobs of this queue. */
  queue?: string;
  /** Only jobs of this handler name. */
  name?: string;
  /** Only jobs of this group key. */
  group?: string;
  /** Only jobs created at or after this instant. */
  from?: Date;
  /** Only jobs created before this instant. */
  to?: Date;
}

/**
 * A page request of `listJobs`: a {@link JobSelector} with keyset paging on (`createdAt`, `id`).
 * A page starts after the job its `cursor` names (the `nextCursor` of the previous page), so a
 * deep page costs what the first does and jobs added meanwhile never shift it.
 */
export interface JobFilter extends JobSelector {
  /** At most this many (default 100, at most 10,000). */
  limit?: number;
  /** Where the page starts: the previous page's `nextCursor`; absent or `null` for the first page. */
  cursor?: string | null;
  /** `asc` (default): oldest first, by `createdAt` then id; `desc`: newest first. */
  order?: "asc" | "desc";
}

/** A page of `listJobs`. */
export interface JobPage<P = unknown> {
  jobs: Job<P>[];
  /** The cursor of the next page, or `null` when this page is the last. */
  nextCursor: string | null;
}
