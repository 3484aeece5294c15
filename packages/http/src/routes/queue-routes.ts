import type { QueueConfig } from "@sched/core";
import { nameParam, objectBody, QueryParams, readJsonBody } from "../request-input.js";
import { type Api, act, type RouteDeps } from "./route-kit.js";

/** `/api/queues`: list, read, pause, resume and configure queues. */
export function queueRoutes(api: Api, deps: RouteDeps): void {
  const { scheduler } = deps;

  api.get("/api/queues", async (c) => {
    new QueryParams(c.req.url, []);
    return c.json(await scheduler.listQueues());
  });

  api.get("/api/queues/:name", async (c) => {
    new QueryParams(c.req.url, []);
    return c.json(await scheduler.getQueue(nameParam(c.req.param("name"), "queue")));
  });

  api.patch("/api/queues/:name", async (c) =>
    c.json(
      await act(c, deps, "queue.configure", c.req.param("name"), async () => {
        const name = nameParam(c.req.param("name"), "queue");
        const config = objectBody(await readJsonBody(c.req.raw), "{ concurrency?, rateLimit?, group? }");
        return scheduler.configureQueue(name, config as QueueConfig);
      }),
    ),
  );

  api.post("/api/queues/:name/pause", async (c) =>
    c.json(
      await act(c, deps, "queue.pause", c.req.param("name"), () =>
        scheduler.pauseQueue(nameParam(c.req.param("name"), "queue")),
      ),
    ),
  );

  api.post("/api/queues/:name/resume", async (c) =>
    c.json(
      await act(c, deps, "queue.resume", c.req.param("name"), () =>
        scheduler.resumeQueue(nameParam(c.req.param("name"), "queue")),
      ),
    ),
  );
}
