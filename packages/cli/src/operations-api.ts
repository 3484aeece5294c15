// The operations methods of @sched/core's Scheduler that this package calls (issue 15: cursor
// paging, bulk retry and delete, promote, instances). Declared here until @sched/core exports them;
// then these types become re-exports of core's.
import type { Job, JobStatus, Scheduler } from "@sched/core";

/** The jobs a listing or a bulk operation selects; `from`/`to` bound `createdAt`. */
export interface JobSelector {
  status?: JobStatus | JobStatus[];
  queue?: string;
  name?: string;
  group?: string;
  from?: Date;
  to?: Date;
}

/** A page request of `listJobs`. */
export interface JobPageRequest extends JobSelector {
  limit?: number;
  cursor?: string | null;
  order?: "asc" | "desc";
}

/** A page of `listJobs`. */
export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

/** A running scheduler's presence record, as `listInstances` returns it. */
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

/** The scheduler as this package uses it. */
export interface OperationsScheduler extends Omit<Scheduler, "listJobs"> {
  listJobs(filter: JobPageRequest): Promise<JobPage>;
  retryJobs(selector: JobSelector): Promise<number>;
  deleteJobs(selector: JobSelector): Promise<number>;
  promoteJob(id: string): Promise<Job>;
  listInstances(): Promise<Instance[]>;
}
