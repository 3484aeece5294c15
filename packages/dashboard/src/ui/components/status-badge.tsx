import type { JobStatus } from "../wire.js";

/** A job's status as a coloured label. */
export function StatusBadge({ status }: { status: JobStatus }) {
  return (
    <span class={`badge status-${status}`} data-testid="job-status-badge">
      {status}
    </span>
  );
}
