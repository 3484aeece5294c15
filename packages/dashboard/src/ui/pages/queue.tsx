import { useState } from "preact/hooks";
import { api } from "../api.js";
import { ActionButton } from "../components/action-button.js";
import { JobTable } from "../components/job-table.js";
import { LoadState } from "../components/load-state.js";
import { PagerControls, usePager } from "../components/pager.js";
import { formatExactDuration, formatTime, shown } from "../format.js";
import { href } from "../router.js";
import { useCanWrite } from "../session.js";
import { useResource } from "../use-resource.js";
import { type JobStatus, type Queue, STATUSES } from "../wire.js";

const PAGE_SIZE = 25;

/** How often the queue and its list of jobs are loaded again, in ms. */
const REFRESH_MS = 5000;

/**
 * One queue: its jobs of one status, page by page, its pause state and its limits. The app keys
 * it by queue and status, so another tab starts again at page 1.
 */
export function QueuePage({ name, status }: { name: string; status: JobStatus }) {
  const canWrite = useCanWrite();
  const pager = usePager();
  // The list refreshes with the counts: a list left as first loaded disagreed with its tab's count.
  const queue = useResource(() => api.queue(name), [name], REFRESH_MS);
  const jobs = useResource(
    () => api.jobs({ queue: name, status, limit: PAGE_SIZE, cursor: pager.cursor }),
    [name, status, pager.cursor],
    REFRESH_MS,
  );
  const info = queue.data;

  const reloadAll = async () => {
    await Promise.all([queue.reload(), jobs.reload()]);
  };

  return (
    <section data-testid="page-queue">
      <h1>
        Queue <span data-testid="queue-name">{shown(name)}</span>{" "}
        {info && (
          <span class={`badge ${info.paused ? "paused" : ""}`} data-testid="queue-state">
            {info.paused ? "paused" : "active"}
          </span>
        )}
      </h1>
      <LoadState resource={queue} />
      {info && canWrite && (
        <div class="toolbar">
          {info.paused ? (
            <ActionButton
              testid="queue-resume"
              label="Resume"
              run={async () => {
                await api.resumeQueue(name);
                await queue.reload();
                return `Queue ${name} resumed`;
              }}
            />
          ) : (
            <ActionButton
              testid="queue-pause"
              label="Pause"
              run={async () => {
                await api.pauseQueue(name);
                await queue.reload();
                return `Queue ${name} paused`;
              }}
            />
          )}
        </div>
      )}

      <nav class="tabs">
        {STATUSES.map((s) => (
          <a
            key={s}
            class={`tab ${s === status ? "active" : ""}`}
            href={href({ page: "queue", name, status: s })}
            data-testid={`status-tab-${s}`}
          >
            {s} <span class="count">{info?.counts[s] ?? "·"}</span>
          </a>
        ))}
      </nav>
      <LoadState resource={jobs} />
      {jobs.data && (
        <>
          <JobTable
            jobs={jobs.data.jobs}
            testid="jobs-table"
            actions={
              canWrite && status === "dead"
                ? (job) => (
                    <ActionButton
                      testid="row-retry"
                      label="Retry"
                      run={async () => {
                        await api.jobAction(job.id, "retry");
                        return `Job ${job.id} retried`;
                      }}
                      after={reloadAll}
                    />
                  )
                : undefined
            }
          />
          <PagerControls pager={pager} nextCursor={jobs.data.nextCursor} />
        </>
      )}

      {info && <Limits queue={info} canWrite={canWrite} onSaved={queue.reload} />}
    </section>
  );
}

function rate(limit: { max: number; per: number } | null | undefined): string {
  return limit ? `${limit.max} per ${formatExactDuration(limit.per)}` : "none";
}

/** The queue's limits, and a form to change them for a write session. */
function Limits({
  queue,
  canWrite,
  onSaved,
}: {
  queue: Queue;
  canWrite: boolean;
  onSaved: () => Promise<void>;
}) {
  return (
    <div class="card">
      <h2>Limits</h2>
      <dl class="fields" data-testid="limits-view">
        <dt>Concurrency</dt>
        <dd data-testid="limit-concurrency-value">{queue.concurrency ?? "none"}</dd>
        <dt>Rate limit</dt>
        <dd data-testid="limit-rate-value">{rate(queue.rateLimit)}</dd>
        <dt>Per group concurrency</dt>
        <dd data-testid="limit-group-concurrency-value">{queue.group?.concurrency ?? "none"}</dd>
        <dt>Per group rate limit</dt>
        <dd data-testid="limit-group-rate-value">{rate(queue.group?.rateLimit)}</dd>
        <dt>This instance's cap</dt>
        <dd>{queue.localConcurrency ?? "none"}</dd>
        <dt>Pushed back until</dt>
        <dd>{formatTime(queue.limitedUntil)}</dd>
      </dl>
      {canWrite && <LimitsForm queue={queue} onSaved={onSaved} />}
    </div>
  );
}

/**
 * Reads an optional limit field: empty means "no limit"; otherwise a whole number from 1 to
 * 2^53 - 1 written in digits. Anything else (`-`, `1e999`, `2.5`) is refused with an error naming
 * the field, never taken as "no limit".
 */
function optionalInt(value: string, label: string): number | null {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  const n = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(
      `${label}: expected a whole number of at least 1, or empty for no limit; got "${trimmed}"`,
    );
  }
  return n;
}

function LimitsForm({ queue, onSaved }: { queue: Queue; onSaved: () => Promise<void> }) {
  const text = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));
  const [fields, setFields] = useState(() => ({
    concurrency: text(queue.concurrency),
    rateMax: text(queue.rateLimit?.max),
    ratePer: text(queue.rateLimit?.per),
    groupConcurrency: text(queue.group?.concurrency),
    groupRateMax: text(queue.group?.rateLimit?.max),
    groupRatePer: text(queue.group?.rateLimit?.per),
  }));
  const field = (key: keyof typeof fields, label: string, testid: string) => (
    <label>
      {label}
      <input
        type="text"
        inputMode="numeric"
        value={fields[key]}
        data-testid={testid}
        onInput={(event) => setFields({ ...fields, [key]: (event.target as HTMLInputElement).value })}
      />
    </label>
  );
  // A rate is its jobs and its window, both or neither (neither: no rate limit).
  const rateOf = (max: string, per: string, label: string) => {
    const m = optionalInt(max, `${label}: jobs`);
    const p = optionalInt(per, `${label}: per ms`);
    if (m === null && p === null) return null;
    if (m === null)
      throw new Error(`${label}: jobs is needed with a window (per ms); clear both for no limit`);
    if (p === null) throw new Error(`${label}: per ms is needed with a number of jobs`);
    return { max: m, per: p };
  };

  return (
    <form class="limits-form" data-testid="limits-form" onSubmit={(event) => event.preventDefault()}>
      <div class="form-row">
        {field("concurrency", "Concurrency", "limit-concurrency")}
        {field("rateMax", "Rate: jobs", "limit-rate-max")}
        {field("ratePer", "per ms", "limit-rate-per")}
      </div>
      <div class="form-row">
        {field("groupConcurrency", "Per group concurrency", "limit-group-concurrency")}
        {field("groupRateMax", "Per group rate: jobs", "limit-group-rate-max")}
        {field("groupRatePer", "per ms", "limit-group-rate-per")}
      </div>
      <p class="muted">Leave a field empty for no limit.</p>
      <ActionButton
        testid="limits-save"
        label="Save limits"
        run={async () => {
          const concurrency = optionalInt(fields.concurrency, "Concurrency");
          const rateLimit = rateOf(fields.rateMax, fields.ratePer, "Rate");
          const groupConcurrency = optionalInt(fields.groupConcurrency, "Per group concurrency");
          const groupRate = rateOf(fields.groupRateMax, fields.groupRatePer, "Per group rate");
          await api.configureQueue(queue.name, {
            concurrency,
            rateLimit,
            group:
              groupConcurrency === null && groupRate === null
                ? null
                : { concurrency: groupConcurrency, rateLimit: groupRate },
          });
          await onSaved();
          return `Limits of ${queue.name} saved`;
        }}
      />
    </form>
  );
}
