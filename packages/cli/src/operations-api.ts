import type { InstanceInfo, JobFilter, JobPage, JobSelector, Scheduler } from "@sched/core";

/** The job selection of listings and bulk operations, as @sched/core defines it. */
export type { JobSelector };
/** A page request of `listJobs`. */
export type JobPageRequest = JobFilter;
/** A page of `listJobs`. */
export type { JobPage };
/** A running scheduler's presence record. */
export type Instance = InstanceInfo;
/** The scheduler as this package uses it. */
export type OperationsScheduler = Scheduler;
