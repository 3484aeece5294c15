// The JSON shapes of the @sched/http API as the page receives them (dates are ISO strings).

/** A job's state. */
export type JobStatus = "pending" | "scheduled" | "running" | "completed" | "failed" | "dead" | "cancelled";

/** Every status, in the order the queue page shows them. */
export const STATUSES: readonly JobStatus[] = [
  "pending",
  "scheduled",
  "running",
  "failed",
  "completed",
  "dead",
  "cancelled",
];

/** Job counts by status. */
export type Counts = Record<JobStatus, number>;

/** One failed attempt of a job. */
export interface AttemptFailure {
  attempt: number;
  error: string;
  failedAt: string;
}

/** A job (`GET /api/jobs/{id}`). */
export interface Job {
  id: string;
  name: string;
  payload: unknown;
  queue: string;
  priority: number;
  maxRetries: number;
  retryCount: number;
  timeout: number;
  scheduledAt: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  error: string | null;
  status: JobStatus;
  metadata: Record<string, string>;
  uniqueKey: string | null;
  group: string | null;
  attempt: number;
  lostLeases: number;
  lockedUntil: string | null;
  lockedBy: string | null;
  history: AttemptFailure[];
}

/** A page of jobs (`GET /api/jobs`). */
export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

/** A rate limit: `max` jobs started per `per` ms. */
export interface RateLimit {
  max: number;
  per: number;
}

/** A queue with its controls and counts (`GET /api/queues/{name}`). */
export interface Queue {
  name: string;
  paused: boolean;
  concurrency: number | null;
  rateLimit: RateLimit | null;
  group: { concurrency: number | null; rateLimit: RateLimit | null } | null;
  limitedUntil: string | null;
  localConcurrency: number | null;
  counts: Counts;
}

/** A running scheduler instance. */
export interface Instance {
  id: string;
  host: string;
  pid: number;
  version: string;
  queues: string[] | null;
  workers: number;
  busy: number;
  leader: boolean;
  startedAt: string;
  lastSeenAt: string;
}

/** `GET /api/overview`. */
export interface Overview {
  stats: Counts;
  queues: Queue[];
  instances: Instance[];
  leader: string | null;
  now: string;
}

/** Completed and failed jobs in one minute. */
export interface ThroughputPoint {
  minute: string;
  completed: number;
  failed: number;
}

/** A stored schedule (`GET /api/schedules`). */
export interface Schedule {
  name: string;
  definition: {
    kind: "cron" | "interval" | "once" | "daily";
    expression?: string;
    every?: number;
    anchor?: number;
    timezone: string;
    job: { queue: string };
  };
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  occurrences: number;
  /** The next run times, with `?preview=n`. */
  next?: string[];
}

/** `GET /api/session`: what the token may do. */
export interface Session {
  role: "read" | "write";
  name: string;
}
