import { formatAge, formatTime } from "./format.js";
import type { Instance } from "./operations-api.js";
import type { Column } from "./output.js";

/**
 * How often a running scheduler renews its presence record (`lastSeenAt`), as @sched/core does:
 * a healthy instance's last heartbeat is at most this old, give or take the clocks' skew.
 */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * The note under an instance listing: what an instance's record says (how busy it is, whether it
 * leads) was true at its last heartbeat, not now. A worker that started jobs since shows them at
 * its next heartbeat, up to {@link HEARTBEAT_INTERVAL_MS} later.
 */
export const AS_OF_HEARTBEAT = `BUSY and LEADER are as of each instance's last heartbeat (LAST SEEN), renewed every ${HEARTBEAT_INTERVAL_MS / 1000}s`;

/** The columns of an instance listing; ages are measured from `now`. */
export function instanceColumns(now: number): Column<Instance>[] {
  return [
    { header: "INSTANCE", cell: (instance) => instance.id },
    { header: "LEADER", cell: (instance) => (instance.leader ? "yes" : "") },
    { header: "HOST", cell: (instance) => `${instance.host}:${instance.pid}` },
    { header: "VERSION", cell: (instance) => instance.version },
    { header: "BUSY", cell: (instance) => `${instance.busy}/${instance.workers}`, numeric: true },
    { header: "QUEUES", cell: (instance) => (instance.queues === null ? "all" : instance.queues.join(",")) },
    { header: "STARTED", cell: (instance) => formatTime(instance.startedAt) },
    { header: "LAST SEEN", cell: (instance) => formatAge(instance.lastSeenAt, now) },
  ];
}
