import type { ComponentChildren } from "preact";
import { formatRelative, formatTime, shown } from "../format.js";
import { href } from "../router.js";
import type { Job } from "../wire.js";
import { StatusBadge } from "./status-badge.js";

/** Props of {@link JobTable}. */
export interface JobTableProps {
  jobs: Job[];
  testid: string;
  /** Extra cells at the end of each row (actions). */
  actions?: (job: Job) => ComponentChildren;
}

/** A table of jobs, each linking to its page; shows the last error of failed and dead jobs. */
export function JobTable({ jobs, testid, actions }: JobTableProps) {
  const now = Date.now();
  if (jobs.length === 0) {
    return (
      <p class="muted" data-testid={`${testid}-empty`}>
        No jobs.
      </p>
    );
  }
  return (
    <table class="table" data-testid={testid}>
      <thead>
        <tr>
          <th>Id</th>
          <th>Name</th>
          <th>Queue</th>
          <th>Status</th>
          <th title="retries used of the most allowed since the job was enqueued or last retried by hand">
            Retries
          </th>
          <th>Created</th>
          <th>Scheduled</th>
          <th>Error</th>
          {actions !== undefined && <th />}
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-testid="job-row" data-job-id={job.id}>
            <td class="mono">
              <a href={href({ page: "job", id: job.id })} data-testid="job-link">
                {job.id}
              </a>
            </td>
            <td>{job.name}</td>
            <td>{job.queue}</td>
            <td>
              <StatusBadge status={job.status} />
            </td>
            <td title={`attempt ${job.attempt}`} data-testid="job-retries">
              {job.retryCount}/{job.maxRetries}
            </td>
            <td class="nowrap" title={formatTime(job.createdAt)}>
              {formatRelative(job.createdAt, now)}
            </td>
            <td class="nowrap" title={formatTime(job.scheduledAt)}>
              {formatRelative(job.scheduledAt, now)}
            </td>
            <td class="error-cell" title={shown(job.error ?? "")}>
              {shown(job.error ?? "")}
            </td>
            {actions !== undefined && <td class="actions">{actions(job)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
