import { HttpError } from "../http-error.js";
import { nameParam, QueryParams } from "../request-input.js";
import { type Api, act, type RouteDeps } from "./route-kit.js";

/** `/api/schedules`: list, read with the next runs, pause, resume and trigger schedules. */
export function scheduleRoutes(api: Api, deps: RouteDeps): void {
  const { scheduler, payloads } = deps;

  api.get("/api/schedules", async (c) => {
    new QueryParams(c.req.url, []);
    return c.json((await scheduler.listSchedules()).map((schedule) => payloads.schedule(schedule)));
  });

  api.get("/api/schedules/:name", async (c) => {
    const query = new QueryParams(c.req.url, ["preview"]);
    const name = nameParam(c.req.param("name"), "schedule");
    const preview = query.integer("preview", 0, 100) ?? 5;
    const schedule = await scheduler.getSchedule(name);
    if (schedule === null) throw new HttpError(404, "SCHEDULE_NOT_FOUND", `schedule "${name}" was not found`);
    const next = preview === 0 ? [] : await scheduler.previewSchedule(name, preview);
    return c.json({ ...payloads.schedule(schedule), next });
  });

  api.post("/api/schedules/:name/pause", async (c) =>
    c.json(
      payloads.schedule(
        await act(c, deps, "schedule.pause", c.req.param("name"), () =>
          scheduler.pauseSchedule(nameParam(c.req.param("name"), "schedule")),
        ),
      ),
    ),
  );

  api.post("/api/schedules/:name/resume", async (c) =>
    c.json(
      payloads.schedule(
        await act(c, deps, "schedule.resume", c.req.param("name"), () =>
          scheduler.resumeSchedule(nameParam(c.req.param("name"), "schedule")),
        ),
      ),
    ),
  );

  api.post("/api/schedules/:name/trigger", async (c) =>
    c.json(
      payloads.job(
        await act(c, deps, "schedule.trigger", c.req.param("name"), () =>
          scheduler.triggerSchedule(nameParam(c.req.param("name"), "schedule")),
        ),
      ),
    ),
  );
}
