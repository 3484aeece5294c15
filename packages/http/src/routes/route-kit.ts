import { SchedulerError } from "@sched/core";
import type { Context, Hono } from "hono";
import type { AuditLog } from "../audit-log.js";
import type { Session } from "../auth.js";
import { HttpError } from "../http-error.js";
import type { PayloadView } from "../payload-view.js";
import type { OperableScheduler } from "../scheduler-surface.js";

/** The Hono app of the API: each authenticated request carries its session. */
export type Api = Hono<{ Variables: { session: Session } }>;

/** A request's context in the API. */
export type ApiContext = Context<{ Variables: { session: Session } }>;

/** What the routes work with. */
export interface RouteDeps {
  scheduler: OperableScheduler;
  payloads: PayloadView;
  audit: AuditLog;
}

/**
 * Runs a write action for the request's session: refuses it (403) unless the token has the
 * `write` role, and records the attempt in the audit log either way, with its outcome. Input is
 * checked inside `run`, after the role, so a read token learns nothing from the answer.
 */
export async function act<T>(
  c: ApiContext,
  deps: RouteDeps,
  action: string,
  target: string,
  run: () => Promise<T>,
): Promise<T> {
  const session = c.get("session");
  const entry = {
    at: new Date(deps.scheduler.now()),
    who: session.name,
    action,
    target: target.length > 200 ? `${target.slice(0, 200)}…` : target,
  };
  if (session.role !== "write") {
    deps.audit.record({ ...entry, ok: false, error: "FORBIDDEN" });
    throw new HttpError(403, "FORBIDDEN", `${action} needs a token with the write role; this one may only read`);
  }
  try {
    const result = await run();
    deps.audit.record({ ...entry, ok: true });
    return result;
  } catch (err) {
    const code = err instanceof HttpError || err instanceof SchedulerError ? err.code : "INTERNAL_ERROR";
    deps.audit.record({ ...entry, ok: false, error: code });
    throw err;
  }
}

/** Refuses the request (403) unless its token has the `write` role. */
export function requireWrite(c: ApiContext, what: string): void {
  if (c.get("session").role !== "write")
    throw new HttpError(403, "FORBIDDEN", `${what} needs a token with the write role; this one may only read`);
}
