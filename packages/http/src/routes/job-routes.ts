import type { JobSelector } from "@sched/core";
import { HttpError } from "../http-error.js";
import { HIDDEN } from "../payload-view.js";
import { jobIdParam, jobSelectorBody, QueryParams, readJsonBody } from "../request-input.js";
import { refusedInput } from "./refused-input.js";
import { type Api, act, type RouteDeps } from "./route-kit.js";

const LIST_PARAMS = [
  "queue",
  "name",
  "status",
  "group",
  "from",
  "to",
  "limit",
  "cursor",
  "order",
  "payloads",
] as const;

/** `/api/jobs`: list by cursor, read, retry, cancel, promote and delete jobs, one or in bulk. */
export function jobRoutes(api: Api, deps: RouteDeps): void {
  const { scheduler, payloads } = deps;

  api.get("/api/jobs", async (c) => {
    const query = new QueryParams(c.req.url, LIST_PARAMS);
    // `payloads=hide`: a page without its payloads (what a list view shows), which may be large.
    const hide = query.choice("payloads", ["show", "hide"] as const) === "hide";
    const options = {
      queue: query.name("queue"),
      name: query.name("name"),
      status: query.statuses("status"),
      group: query.group("group"),
      from: query.date("from"),
      to: query.date("to"),
      limit: query.integer("limit", 1, 1000),
      cursor: query.text("cursor", 600) ?? null,
      order: query.choice("order", ["asc", "desc"] as const),
    };
    // The scheduler checks what only it can read (a cursor it made): a bad one is a bad query.
    const page = await refusedInput("query", () => scheduler.listJobs(options));
    return c.json({
      jobs: page.jobs.map((job) => (hide ? { ...job, payload: HIDDEN } : payloads.job(job))),
      nextCursor: page.nextCursor,
    });
  });

  // The bulk routes are registered before `/api/jobs/:id/…`; their paths have one segment fewer,
  // so neither shadows the other. The body is read after the role is checked (a read token's
  // attempt is refused and audited whatever it sends); the audit entry names it once read.
  const bulk = [
    ["retry", (selector: JobSelector) => scheduler.retryJobs(selector)],
    ["delete", (selector: JobSelector) => scheduler.deleteJobs(selector)],
  ] as const;
  for (const [action, run] of bulk) {
    api.post(`/api/jobs/${action}`, async (c) => {
      let target = BODY_NOT_READ;
      const count = await act(
        c,
        deps,
        `jobs.${action}`,
        () => target,
        async () => {
          target = BODY_REFUSED;
          const body = await readJsonBody(c.req.raw);
          // What was sent, as sent: `null` or `[1]` must not read as `{}`, a filter of everything.
          target = body === undefined ? NO_BODY : JSON.stringify(body);
          // An empty body must not mean "everything": a lost body would then act on every job.
          const selector = nonEmpty(jobSelectorBody(body));
          // The scheduler's own rules (retry takes dead or cancelled jobs only) refuse a body field.
          return refusedInput("body", () => run(selector), ["selector", "filter"]);
        },
        [],
        true,
      );
      return c.json({ count });
    });
  }

  api.get("/api/jobs/:id", async (c) => {
    notBulkPath(c.req.param("id"), "GET");
    new QueryParams(c.req.url, []);
    const id = jobIdParam(c.req.param("id"));
    const job = await scheduler.getJob(id);
    if (job === null) throw new HttpError(404, "JOB_NOT_FOUND", `job "${id}" was not found`);
    return c.json(payloads.job(job));
  });

  api.delete("/api/jobs/:id", async (c) => {
    notBulkPath(c.req.param("id"), "DELETE");
    const job = await act(c, deps, "job.delete", c.req.param("id"), () =>
      scheduler.deleteJob(jobIdParam(c.req.param("id"))),
    );
    return c.json(payloads.job(job));
  });

  const single = [
    ["retry", (id: string) => scheduler.retryJob(id)],
    ["cancel", (id: string) => scheduler.cancel(id)],
    ["promote", (id: string) => scheduler.promoteJob(id)],
  ] as const;
  for (const [action, run] of single) {
    api.post(`/api/jobs/:id/${action}`, async (c) => {
      const job = await act(c, deps, `job.${action}`, c.req.param("id"), async () => {
        const after = await run(jobIdParam(c.req.param("id")));
        // Cancelling a job that finished meanwhile leaves it as it is: a conflict, not a success.
        if (action === "cancel" && after.status !== "cancelled")
          throw new HttpError(
            409,
            "INVALID_JOB_STATE",
            `job ${after.id} is ${after.status}; only waiting or running jobs can be cancelled`,
          );
        return after;
      });
      return c.json(payloads.job(job));
    });
  }
}

/**
 * Refuses `GET` or `DELETE` of a bulk route's path (`/api/jobs/retry`, `/api/jobs/delete`): no job
 * has such an id (ids are UUIDs the scheduler makes), so the caller meant the bulk route, which
 * takes `POST` only.
 *
 * @throws HttpError 405 `METHOD_NOT_ALLOWED` with `Allow: POST`.
 */
function notBulkPath(id: string, method: string): void {
  if (id === "retry" || id === "delete")
    throw new HttpError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed here; use POST`, {
      allow: "POST",
    });
}

/** The audit target of a bulk action whose body was not read (its token may not write). */
const BODY_NOT_READ = "(body not read)";
/** The audit target of a bulk action whose body is not JSON this API reads (its error says why). */
const BODY_REFUSED = "(body refused)";
/** The audit target of a bulk action sent without a body. */
const NO_BODY = "(no body)";

/**
 * `selector` when it names at least one field: bulk routes refuse an empty one.
 *
 * @throws HttpError 400 `INVALID_BODY` for `{}` or no body.
 */
function nonEmpty(selector: JobSelector): JobSelector {
  if (Object.keys(selector).length === 0)
    throw new HttpError(
      400,
      "INVALID_BODY",
      'give at least one of queue, name, status, group, from, to (all dead jobs: {"status":"dead"})',
    );
  return selector;
}
