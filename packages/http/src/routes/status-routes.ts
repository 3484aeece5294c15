import { HttpError } from "../http-error.js";
import { QueryParams } from "../request-input.js";
import { refusedInput } from "./refused-input.js";
import { type Api, type RouteDeps, requireWrite } from "./route-kit.js";

/** The default span of `/api/throughput` when `since` is not given: the last hour. */
const DEFAULT_THROUGHPUT_SPAN_MS = 60 * 60 * 1000;

/** The session, the overview, instances, throughput and the audit log. */
export function statusRoutes(api: Api, deps: RouteDeps): void {
  const { scheduler, audit } = deps;

  api.get("/api/session", (c) => {
    new QueryParams(c.req.url, []);
    const { role, name } = c.get("session");
    return c.json({ role, name });
  });

  api.get("/api/overview", async (c) => {
    new QueryParams(c.req.url, []);
    const [stats, queues, instances] = await Promise.all([
      scheduler.stats(),
      scheduler.listQueues(),
      scheduler.listInstances(),
    ]);
    // The elected leader among the running instances; without leader election, the one instance
    // running (several such instances each fire schedules, and none leads). The handler's own
    // scheduler knows its leadership before its record says it, but only while it runs.
    const solo = instances.length === 1 && !instances[0]?.distributed ? (instances[0]?.id ?? null) : null;
    const own =
      scheduler.running && scheduler.options.distributed.enabled && scheduler.isLeader
        ? scheduler.instanceId
        : null;
    const leader = instances.find((instance) => instance.leader && instance.distributed)?.id ?? own ?? solo;
    return c.json({ stats, queues, instances, leader, now: new Date(scheduler.now()) });
  });

  api.get("/api/instances", async (c) => {
    new QueryParams(c.req.url, []);
    return c.json(await scheduler.listInstances());
  });

  api.get("/api/throughput", async (c) => {
    const query = new QueryParams(c.req.url, ["queue", "since", "until"]);
    const queue = query.name("queue");
    const until = query.date("until");
    const since =
      query.date("since") ?? new Date((until?.getTime() ?? scheduler.now()) - DEFAULT_THROUGHPUT_SPAN_MS);
    if (until !== undefined && until.getTime() < since.getTime())
      throw new HttpError(400, "INVALID_QUERY", "until: expected a date at or after since");
    return c.json(
      await refusedInput("query", () =>
        scheduler.throughput({ since, ...(until ? { until } : {}), ...(queue ? { queue } : {}) }),
      ),
    );
  });

  api.get("/api/audit", (c) => {
    requireWrite(c, "reading the audit log");
    const query = new QueryParams(c.req.url, ["limit"]);
    return c.json(audit.recent(query.integer("limit", 1, 1000) ?? 100));
  });
}
