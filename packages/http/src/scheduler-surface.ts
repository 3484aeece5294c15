import type { Scheduler } from "@sched/core";

/**
 * The methods of a `Scheduler` that the HTTP handler calls. A `Scheduler` of any job map has
 * them; naming only these keeps the option free of the scheduler's generic parameters.
 */
export type OperableScheduler = Pick<
  Scheduler,
  | "now"
  | "instanceId"
  | "isLeader"
  | "running"
  | "options"
  | "stats"
  | "listQueues"
  | "getQueue"
  | "pauseQueue"
  | "resumeQueue"
  | "configureQueue"
  | "listJobs"
  | "getJob"
  | "cancel"
  | "retryJob"
  | "promoteJob"
  | "deleteJob"
  | "retryJobs"
  | "deleteJobs"
  | "listSchedules"
  | "getSchedule"
  | "pauseSchedule"
  | "resumeSchedule"
  | "triggerSchedule"
  | "previewSchedule"
  | "listInstances"
  | "throughput"
>;
