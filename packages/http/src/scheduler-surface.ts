import type { Job, JobStatus, QueueConfig, QueueInfo, ScheduleState, Stats } from "@sched/core";

// The operations methods of the scheduler this package calls. They are written on branch `ops`
// of @sched/core; until then these names stand in for them, and the handler takes any object
// with these methods (a `Scheduler` once it has them).

/** Which jobs a listing or a bulk operation applies to. */
export interface JobSelector {
  status?: JobStatus | JobStatus[];
  queue?: string;
  name?: string;
  group?: string;
  from?: Date;
  to?: Date;
}

/** A page request of `listJobs`. */
export interface JobPageFilter extends JobSelector {
  limit?: number;
  cursor?: string | null;
  order?: "asc" | "desc";
}

/** A running scheduler as `listInstances` shows it. */
export interface Instance {
  id: string;
  host: string;
  pid: number;
  version: string;
  queues: string[] | null;
  workers: number;
  busy: number;
  leader: boolean;
  startedAt: Date;
  lastSeenAt: Date;
}

/** Completed and failed jobs of one minute. */
export interface ThroughputPoint {
  minute: Date;
  completed: number;
  failed: number;
}

/** The methods of a `Scheduler` that the HTTP handler calls. */
export interface OperableScheduler {
  now(): number;
  stats(): Promise<Stats>;
  listQueues(): Promise<QueueInfo[]>;
  getQueue(name: string): Promise<QueueInfo>;
  pauseQueue(name: string): Promise<QueueInfo>;
  resumeQueue(name: string): Promise<QueueInfo>;
  configureQueue(name: string, config: QueueConfig): Promise<QueueInfo>;
  listJobs(filter: JobPageFilter): Promise<{ jobs: Job[]; nextCursor: string | null }>;
  getJob(id: string): Promise<Job | null>;
  cancel(id: string): Promise<Job>;
  retryJob(id: string): Promise<Job>;
  promoteJob(id: string): Promise<Job>;
  /** Deletes one job that is not running; `false` when it does not exist. */
  deleteJob(id: string): Promise<boolean>;
  retryJobs(filter: JobSelector): Promise<number>;
  deleteJobs(filter: JobSelector): Promise<number>;
  listSchedules(): Promise<ScheduleState[]>;
  getSchedule(name: string): Promise<ScheduleState | null>;
  pauseSchedule(name: string): Promise<ScheduleState>;
  resumeSchedule(name: string): Promise<ScheduleState>;
  triggerSchedule(name: string): Promise<Job>;
  previewSchedule(name: string, count: number): Promise<Date[]>;
  listInstances(): Promise<Instance[]>;
  throughput(options: { queue?: string; since: Date; until?: Date }): Promise<ThroughputPoint[]>;
}
