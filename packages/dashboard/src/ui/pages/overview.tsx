import { api } from "../api.js";
import { LoadState } from "../components/load-state.js";
import { ThroughputChart } from "../components/throughput-chart.js";
import { formatRelative, formatTime, shown } from "../format.js";
import { href } from "../router.js";
import { useResource } from "../use-resource.js";
import { STATUSES } from "../wire.js";

const HOUR = 3_600_000;

/** Queues with their counts, throughput of the last hour, the instances and the leader. */
export function OverviewPage() {
  const overview = useResource(() => api.overview(), [], 5000);
  const throughput = useResource(() => api.throughput(new Date(Date.now() - HOUR)), [], 15_000);
  const data = overview.data;
  const now = data ? new Date(data.now).getTime() : Date.now();

  return (
    <section data-testid="page-overview">
      <h1>Overview</h1>
      <LoadState resource={overview} />
      {data && (
        <>
          <div class="stats">
            {STATUSES.map((status) => (
              <div class={`stat status-${status}`} key={status}>
                <span class="stat-value" data-testid={`stat-${status}`}>
                  {data.stats[status] ?? 0}
                </span>
                <span class="stat-label">{status}</span>
              </div>
            ))}
          </div>

          <h2>Queues</h2>
          {data.queues.length === 0 ? (
            <p class="muted">No queues yet.</p>
          ) : (
            <table class="table" data-testid="queues-table">
              <thead>
                <tr>
                  <th>Queue</th>
                  <th>State</th>
                  {STATUSES.map((status) => (
                    <th key={status} class="num">
                      {status}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.queues.map((queue) => (
                  <tr key={queue.name} data-testid="queue-row" data-queue={queue.name}>
                    <td>
                      <a
                        href={href({ page: "queue", name: queue.name, status: "pending" })}
                        data-testid="queue-link"
                      >
                        {queue.name}
                      </a>
                    </td>
                    <td>
                      {queue.paused ? (
                        <span class="badge paused">paused</span>
                      ) : (
                        <span class="badge">active</span>
                      )}
                    </td>
                    {STATUSES.map((status) => (
                      <td key={status} class="num" data-testid={`queue-count-${status}`}>
                        <a href={href({ page: "queue", name: queue.name, status })}>
                          {queue.counts[status] ?? 0}
                        </a>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}

      <h2>Throughput</h2>
      <LoadState resource={throughput} />
      {throughput.data && <ThroughputChart points={throughput.data} />}

      {data && (
        <>
          <h2>Instances</h2>
          <p>
            Leader:{" "}
            <strong class="mono" data-testid="leader">
              {data.leader === null ? "none" : shown(data.leader)}
            </strong>
          </p>
          {data.instances.length === 0 ? (
            <p class="muted" data-testid="instances-empty">
              No running instances.
            </p>
          ) : (
            <table class="table" data-testid="instances-table">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Host</th>
                  <th>Pid</th>
                  <th>Version</th>
                  <th>Queues</th>
                  <th class="num">Busy</th>
                  <th>Leader</th>
                  <th>Started</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {data.instances.map((instance) => (
                  <tr key={instance.id} data-testid="instance-row" data-instance-id={instance.id}>
                    <td class="mono">{shown(instance.id)}</td>
                    <td>{shown(instance.host)}</td>
                    <td>{instance.pid}</td>
                    <td>{instance.version}</td>
                    <td>{instance.queues === null ? "all" : instance.queues.join(", ")}</td>
                    <td class="num">
                      {instance.busy}/{instance.workers}
                    </td>
                    <td>{instance.leader ? <span class="badge leader">leader</span> : ""}</td>
                    <td class="nowrap" title={formatTime(instance.startedAt)}>
                      {formatRelative(instance.startedAt, now)}
                    </td>
                    <td title={formatTime(instance.lastSeenAt)}>
                      {formatRelative(instance.lastSeenAt, now)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
