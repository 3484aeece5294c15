import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ActionButton } from "../components/action-button.js";
import { LoadState } from "../components/load-state.js";
import { formatExactDuration, formatRelative, formatTime } from "../format.js";
import { useCanWrite } from "../session.js";
import { useResource } from "../use-resource.js";
import type { Schedule } from "../wire.js";

const PREVIEW = 5;

/** The stored schedules: when each runs next and ran last, with pause/resume/trigger. */
export function SchedulesPage() {
  const canWrite = useCanWrite();
  const schedules = useResource(() => api.schedules(), [], 10_000);
  const now = Date.now();

  return (
    <section data-testid="page-schedules">
      <h1>Schedules</h1>
      <LoadState resource={schedules} />
      {schedules.data &&
        (schedules.data.length === 0 ? (
          <p class="muted" data-testid="schedules-empty">
            No schedules.
          </p>
        ) : (
          <table class="table" data-testid="schedules-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>When</th>
                <th>Queue</th>
                <th>State</th>
                <th>Next run</th>
                <th>Last run</th>
                <th class="num">Runs</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {schedules.data.map((schedule) => (
                <ScheduleRow
                  key={schedule.name}
                  schedule={schedule}
                  now={now}
                  canWrite={canWrite}
                  reload={schedules.reload}
                />
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}

function describe(schedule: Schedule): string {
  const def = schedule.definition;
  switch (def.kind) {
    case "cron":
      return `cron ${def.expression ?? ""} (${def.timezone})`;
    case "interval":
      return `every ${formatExactDuration(def.every ?? 0)}`;
    case "daily":
      return `every ${def.every ?? 1} day(s) at ${def.expression ?? ""} (${def.timezone})`;
    case "once":
      return "once";
  }
}

interface RowProps {
  schedule: Schedule;
  now: number;
  canWrite: boolean;
  reload: () => Promise<void>;
}

function ScheduleRow({ schedule, now, canWrite, reload }: RowProps) {
  const [open, setOpen] = useState(false);
  const act = (action: "pause" | "resume" | "trigger", done: string) => async () => {
    await api.scheduleAction(schedule.name, action);
    await reload();
    return `Schedule ${schedule.name} ${done}`;
  };
  return (
    <>
      <tr data-testid="schedule-row" data-schedule={schedule.name}>
        <td>{schedule.name}</td>
        <td class="mono">{describe(schedule)}</td>
        <td>{schedule.definition.job.queue}</td>
        <td data-testid="schedule-state">
          {schedule.paused ? <span class="badge paused">paused</span> : <span class="badge">active</span>}
        </td>
        <td data-testid="schedule-next-run" title={formatTime(schedule.nextRunAt)}>
          {schedule.nextRunAt === null
            ? "—"
            : `${formatTime(schedule.nextRunAt)} (${formatRelative(schedule.nextRunAt, now)})`}
        </td>
        <td class="nowrap" data-testid="schedule-last-run" title={formatTime(schedule.lastRunAt)}>
          {schedule.lastRunAt === null ? "never" : formatRelative(schedule.lastRunAt, now)}
        </td>
        <td class="num" data-testid="schedule-runs">
          {schedule.occurrences}
        </td>
        <td class="actions">
          <button
            type="button"
            class="button ghost"
            data-testid="schedule-preview"
            onClick={() => setOpen(!open)}
          >
            {open ? "Hide runs" : "Next runs"}
          </button>
          {canWrite && (
            <>
              {schedule.paused ? (
                <ActionButton testid="schedule-resume" label="Resume" run={act("resume", "resumed")} />
              ) : (
                <ActionButton testid="schedule-pause" label="Pause" run={act("pause", "paused")} />
              )}
              <ActionButton testid="schedule-trigger" label="Trigger" run={act("trigger", "triggered")} />
            </>
          )}
        </td>
      </tr>
      {open && (
        <tr class="detail-row">
          <td colSpan={8}>
            <NextRuns name={schedule.name} />
          </td>
        </tr>
      )}
    </>
  );
}

function NextRuns({ name }: { name: string }) {
  const preview = useResource(() => api.schedule(name, PREVIEW), [name]);
  return (
    <div data-testid="schedule-next-runs">
      <LoadState resource={preview} />
      {preview.data &&
        ((preview.data.next ?? []).length === 0 ? (
          <p class="muted">No further runs.</p>
        ) : (
          <ol class="next-runs">
            {(preview.data.next ?? []).map((at) => (
              <li key={at} data-testid="schedule-next-item" data-at={at}>
                {formatTime(at)}
              </li>
            ))}
          </ol>
        ))}
    </div>
  );
}
