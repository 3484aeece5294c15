import { api } from "../api.js";
import { ActionButton } from "../components/action-button.js";
import { JobTable } from "../components/job-table.js";
import { LoadState } from "../components/load-state.js";
import { PagerControls, usePager } from "../components/pager.js";
import { shown } from "../format.js";
import { href } from "../router.js";
import { useCanWrite } from "../session.js";
import { useResource } from "../use-resource.js";

const PAGE_SIZE = 25;

/** How often the count and the list are loaded again, in ms. */
const REFRESH_MS = 5000;

/** Dead jobs of every queue or of one, with retry and delete one by one or all at once. */
export function DeadLettersPage({ queue }: { queue: string | null }) {
  const canWrite = useCanWrite();
  const pager = usePager();
  // Both refresh: a count or a list left as first loaded would show other jobs than a bulk
  // action then acts on.
  const queues = useResource(() => api.overview(), [], REFRESH_MS);
  const jobs = useResource(
    () => api.jobs({ status: "dead", queue: queue ?? undefined, limit: PAGE_SIZE, cursor: pager.cursor }),
    [queue, pager.cursor],
    REFRESH_MS,
  );
  const deadCount =
    queues.data === undefined
      ? undefined
      : queue === null
        ? queues.data.stats.dead
        : (queues.data.queues.find((q) => q.name === queue)?.counts.dead ?? 0);
  const filter = queue === null ? { status: "dead" } : { status: "dead", queue };
  const scope = queue === null ? "every queue" : `queue ${shown(queue)}`;

  const reloadAll = async () => {
    pager.reset();
    await Promise.all([queues.reload(), jobs.reload()]);
  };

  return (
    <section data-testid="page-dead">
      <h1>Dead letters</h1>
      <div class="toolbar">
        <label>
          Queue{" "}
          <select
            data-testid="dead-queue-filter"
            value={queue ?? ""}
            onChange={(event) => {
              const value = (event.target as HTMLSelectElement).value;
              location.hash = href({ page: "dead", queue: value === "" ? null : value });
            }}
          >
            <option value="">all queues</option>
            {queues.data?.queues.map((q) => (
              <option key={q.name} value={q.name}>
                {q.name}
              </option>
            ))}
          </select>
        </label>
        <span>
          <strong data-testid="dead-count">{deadCount ?? "·"}</strong> dead in {scope}
        </span>
        {canWrite && (
          <>
            <ActionButton
              testid="dead-retry-all"
              label="Retry all"
              confirm
              confirmLabel={`Retry all ${deadCount ?? "·"} dead in ${scope}`}
              onArm={() => void queues.reload()}
              disabled={deadCount === 0}
              run={async () => {
                const { count } = await api.retryJobs(filter);
                return `${count} job(s) retried`;
              }}
              after={reloadAll}
            />
            <ActionButton
              testid="dead-delete-all"
              label="Delete all"
              danger
              confirm
              confirmLabel={`Delete all ${deadCount ?? "·"} dead in ${scope}`}
              onArm={() => void queues.reload()}
              disabled={deadCount === 0}
              run={async () => {
                const { count } = await api.deleteJobs(filter);
                return `${count} job(s) deleted`;
              }}
              after={reloadAll}
            />
          </>
        )}
      </div>
      <LoadState resource={jobs} />
      {jobs.data && (
        <>
          <JobTable
            jobs={jobs.data.jobs}
            testid="dead-table"
            actions={
              canWrite
                ? (job) => (
                    <>
                      <ActionButton
                        testid="dead-retry"
                        label="Retry"
                        run={async () => {
                          await api.jobAction(job.id, "retry");
                          return `Job ${job.id} retried`;
                        }}
                        after={reloadAll}
                      />
                      <ActionButton
                        testid="dead-delete"
                        label="Delete"
                        danger
                        confirm
                        run={async () => {
                          await api.deleteJob(job.id);
                          return `Job ${job.id} deleted`;
                        }}
                        after={reloadAll}
                      />
                    </>
                  )
                : undefined
            }
          />
          <PagerControls pager={pager} nextCursor={jobs.data.nextCursor} />
        </>
      )}
    </section>
  );
}
