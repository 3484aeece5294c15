import { formatAge, formatTime } from "./format.js";
import type { Instance } from "./operations-api.js";
import type { Column } from "./output.js";

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
