import { Fragment } from "preact";
import { api } from "../api.js";
import { ActionButton } from "../components/action-button.js";
import { LoadState } from "../components/load-state.js";
import { StatusBadge } from "../components/status-badge.js";
import { formatExactDuration, formatJson, formatTime, shown } from "../format.js";
import { href } from "../router.js";
import { useCanWrite } from "../session.js";
import { useResource } from "../use-resource.js";
import type { Job, JobStatus } from "../wire.js";

/** How often the job is loaded again, in ms. */
const REFRESH_MS = 5000;

const CAN_RETRY: readonly JobStatus[] = ["dead", "cancelled"];
const CAN_CANCEL: readonly JobStatus[] = ["pending", "scheduled", "running", "failed"];
const CAN_PROMOTE: readonly JobStatus[] = ["scheduled", "failed"];

/** One job: its fields, payload, metadata, attempts with their errors, and the actions its state allows. */
export function JobPage({ id }: { id: string }) {
  const canWrite = useCanWrite();
  // Refreshed: another operator's cancel or retry shows here, and the actions follow the state.
  const job = useResource(() => api.job(id), [id], REFRESH_MS);
  const data = job.data;

  const act = (action: "retry" | "cancel" | "promote", done: string) => async () => {
    await api.jobAction(id, action);
    return `Job ${done}`;
  };

  return (
    <section data-testid="page-job">
      <h1>
        Job{" "}
        <span class="mono" data-testid="job-id">
          {shown(id)}
        </span>
      </h1>
      <LoadState resource={job} />
      {data && (
        <>
          <p>
            <StatusBadge status={data.status} /> <span data-testid="job-status">{data.status}</span> ·{" "}
            <span data-testid="job-name">{data.name}</span> in{" "}
            <a href={href({ page: "queue", name: data.queue, status: data.status })} data-testid="job-queue">
              {data.queue}
            </a>
          </p>
          {canWrite && (
            <div class="toolbar" data-testid="job-actions">
              {CAN_RETRY.includes(data.status) && (
                <ActionButton
                  testid="job-retry"
                  label="Retry"
                  run={act("retry", "retried")}
                  after={job.reload}
                />
              )}
              {CAN_PROMOTE.includes(data.status) && (
                <ActionButton
                  testid="job-promote"
                  label="Run now"
                  run={act("promote", "promoted")}
                  after={job.reload}
                />
              )}
              {CAN_CANCEL.includes(data.status) && (
                <ActionButton
                  testid="job-cancel"
                  label="Cancel"
                  danger
                  run={act("cancel", "cancelled")}
                  after={job.reload}
                />
              )}
              {data.status !== "running" && (
                <ActionButton
                  testid="job-delete"
                  label="Delete"
                  danger
                  confirm
                  run={async () => {
                    await api.deleteJob(id);
                    location.hash = href({ page: "queue", name: data.queue, status: data.status });
                    return `Job ${id} deleted`;
                  }}
                />
              )}
            </div>
          )}
          <div class="columns">
            <div class="card">
              <h2>Details</h2>
              <JobFields job={data} />
            </div>
            <div class="card">
              <h2>Attempts</h2>
              <AttemptTimeline job={data} />
            </div>
          </div>
          <div class="card">
            <h2>Payload</h2>
            <pre class="code" data-testid="job-payload">
              {formatJson(data.payload)}
            </pre>
          </div>
          <div class="card">
            <h2>Metadata</h2>
            {Object.keys(data.metadata).length === 0 ? (
              <p class="muted" data-testid="job-metadata-empty">
                None.
              </p>
            ) : (
              <table class="table" data-testid="job-metadata">
                <tbody>
                  {Object.entries(data.metadata).map(([key, value]) => (
                    <tr key={key} data-testid="metadata-row">
                      <th>{shown(key)}</th>
                      <td class="mono">{shown(value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function JobFields({ job }: { job: Job }) {
  const rows: [string, string][] = [
    ["priority", String(job.priority)],
    ["attempt", String(job.attempt)],
    ["retries", `${job.retryCount} of ${job.maxRetries}`],
    ["timeout", job.timeout === 0 ? "none" : formatExactDuration(job.timeout)],
    ["group", job.group === null ? "—" : shown(job.group)],
    ["uniqueKey", job.uniqueKey === null ? "—" : shown(job.uniqueKey)],
    ["created", formatTime(job.createdAt)],
    ["scheduled", formatTime(job.scheduledAt)],
    ["started", formatTime(job.startedAt)],
    ["completed", formatTime(job.completedAt)],
    ["lockedBy", job.lockedBy ?? "—"],
    ["lockedUntil", formatTime(job.lockedUntil)],
    ["lostLeases", String(job.lostLeases)],
    ["error", job.error === null ? "—" : shown(job.error)],
  ];
  return (
    <dl class="fields">
      {rows.map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd data-testid={`job-field-${key}`}>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/**
 * The failed attempts from the job's history, then the current one: running, waiting for its
 * retry, or how it ended.
 */
function AttemptTimeline({ job }: { job: Job }) {
  const failedAttempts = new Set(job.history.map((entry) => entry.attempt));
  const current = job.attempt > 0 && !failedAttempts.has(job.attempt) ? currentAttempt(job) : null;
  return (
    <ol class="timeline" data-testid="attempts-timeline">
      <li class="timeline-item" data-testid="attempt-created">
        <span class="when">{formatTime(job.createdAt)}</span> enqueued
      </li>
      {job.history.map((entry) => (
        <li
          key={entry.attempt}
          class="timeline-item failed"
          data-testid="attempt-item"
          data-attempt={entry.attempt}
        >
          <span class="when">{formatTime(entry.failedAt)}</span> attempt {entry.attempt} failed
          <pre class="code error" data-testid="attempt-error">
            {shown(entry.error)}
          </pre>
        </li>
      ))}
      {current && (
        <li
          class={`timeline-item ${job.status}`}
          data-testid="attempt-item"
          data-attempt={job.attempt}
          data-current="true"
        >
          <span class="when">{formatTime(current.at)}</span> attempt {job.attempt} {current.text}
        </li>
      )}
      {job.attempt === 0 && (
        <li class="timeline-item" data-testid="attempt-none">
          <span class="when">{formatTime(job.scheduledAt)}</span>{" "}
          {job.status === "cancelled" ? "cancelled before it ran" : "not run yet"}
        </li>
      )}
    </ol>
  );
}

function currentAttempt(job: Job): { at: string | null; text: string } {
  switch (job.status) {
    case "running":
      return { at: job.startedAt, text: "running" };
    case "completed":
      return { at: job.completedAt, text: "completed" };
    case "dead":
      return { at: job.completedAt, text: `dead: ${shown(job.error ?? "")}` };
    case "cancelled":
      return { at: job.completedAt, text: "cancelled" };
    default:
      return { at: job.startedAt, text: `started, now ${job.status}` };
  }
}
