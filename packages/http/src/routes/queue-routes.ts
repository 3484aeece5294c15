import type { QueueConfig } from "@sched/core";
import { HttpError } from "../http-error.js";
import { nameParam, objectBody, QueryParams, readJsonBody } from "../request-input.js";
import { refusedInput } from "./refused-input.js";
import { type Api, act, type RouteDeps } from "./route-kit.js";

/**
 * The queue named in the path, when the store knows it (it has jobs or settings, or a running
 * instance serves it) or the request asks to create it (`?create=true`): a typo must not leave a
 * record of a queue that never existed.
 *
 * @throws HttpError 404 `QUEUE_NOT_FOUND` for an unknown queue; 400 for a bad name or query.
 */
async function knownQueue(deps: RouteDeps, url: string, raw: string): Promise<string> {
  const create = new QueryParams(url, ["create"]).choice("create", ["true", "false"] as const) === "true";
  const name = nameParam(raw, "queue");
  if (create) return name;
  await assertKnown(deps, name, "; add ?create=true to act on it anyway");
  return name;
}

/**
 * Refuses a queue the store does not know: no jobs, no settings and no running instance serving
 * it (a typo in a URL reads as an error, not as an empty queue).
 *
 * @throws HttpError 404 `QUEUE_NOT_FOUND`; the message ends with `hint`.
 */
async function assertKnown(deps: RouteDeps, name: string, hint = ""): Promise<void> {
  const [queues, instances] = await Promise.all([
    deps.scheduler.listQueues(),
    deps.scheduler.listInstances(),
  ]);
  const known =
    queues.some((queue) => queue.name === name) || instances.some((i) => i.queues?.includes(name));
  if (!known)
    throw new HttpError(
      404,
      "QUEUE_NOT_FOUND",
      `queue "${name}" has no jobs, no settings and no instance serving it${hint}`,
    );
}

/** The query parameters a queue action takes: `create` (see {@link knownQueue}). */
const QUEUE_ACTION_PARAMS = ["create"] as const;

/** `/api/queues`: list, read, pause, resume and configure queues. */
export function queueRoutes(api: Api, deps: RouteDeps): void {
  const { scheduler } = deps;

  api.get("/api/queues", async (c) => {
    new QueryParams(c.req.url, []);
    return c.json(await scheduler.listQueues());
  });

  api.get("/api/queues/:name", async (c) => {
    new QueryParams(c.req.url, []);
    const name = nameParam(c.req.param("name"), "queue");
    await assertKnown(deps, name);
    return c.json(await scheduler.getQueue(name));
  });

  api.patch("/api/queues/:name", async (c) =>
    c.json(
      await act(
        c,
        deps,
        "queue.configure",
        c.req.param("name"),
        async () => {
          const name = await knownQueue(deps, c.req.url, c.req.param("name"));
          const config = objectBody(await readJsonBody(c.req.raw), "{ concurrency?, rateLimit?, group? }");
          // The scheduler checks the limits; it names the body `config` (`config.bogus`).
          return refusedInput("body", () => scheduler.configureQueue(name, config as QueueConfig), [
            "config",
          ]);
        },
        QUEUE_ACTION_PARAMS,
        true,
      ),
    ),
  );

  const controls = [
    ["pause", (name: string) => scheduler.pauseQueue(name)],
    ["resume", (name: string) => scheduler.resumeQueue(name)],
  ] as const;
  for (const [action, run] of controls) {
    api.post(`/api/queues/:name/${action}`, async (c) =>
      c.json(
        await act(
          c,
          deps,
          `queue.${action}`,
          c.req.param("name"),
          async () => run(await knownQueue(deps, c.req.url, c.req.param("name"))),
          QUEUE_ACTION_PARAMS,
        ),
      ),
    );
  }
}
