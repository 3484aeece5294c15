import { SchedulerError } from "@sched/core";
import type { Context, Hono } from "hono";
import type { AuditLog } from "../audit-log.js";
import type { Session } from "../auth.js";
import { HttpError } from "../http-error.js";
import type { PayloadView } from "../payload-view.js";
import { QueryParams, readJsonBody } from "../request-input.js";
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
 * checked after the role, so a read token learns nothing from the answer: first the query, which
 * may hold only the parameters in `query` (none by default; another one is a 400
 * `INVALID_QUERY`, so that a parameter the route ignores, such as `?dryRun=true`, never goes
 * unnoticed while the action runs), then whatever `run` reads (the body included). `target` is
 * what the audit entry names; a function is read when the entry is recorded, so a route can name
 * a body it reads inside `run`. A route whose `run` reads no body (`readsBody` false) refuses one
 * before it acts: a body it would ignore (bad JSON, 2 MB of it, another content type) must not
 * look accepted; an empty one, `{}` or `null` is no body.
 */
export async function act<T>(
  c: ApiContext,
  deps: RouteDeps,
  action: string,
  target: string | (() => string),
  run: () => Promise<T>,
  query: readonly string[] = [],
  readsBody = false,
): Promise<T> {
  const session = c.get("session");
  const at = new Date(deps.scheduler.now());
  const entry = () => {
    const text = typeof target === "string" ? target : target();
    const cut = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    return { at, who: session.name, action, target: oneLine(cut) };
  };
  if (session.role !== "write") {
    deps.audit.record({ ...entry(), ok: false, error: "FORBIDDEN" });
    throw new HttpError(
      403,
      "FORBIDDEN",
      `${action} needs a token with the write role; this one may only read`,
    );
  }
  try {
    new QueryParams(c.req.url, query);
    if (!readsBody) await noBody(c.req.raw);
    const result = await run();
    deps.audit.record({ ...entry(), ok: true });
    return result;
  } catch (err) {
    const code = err instanceof HttpError || err instanceof SchedulerError ? err.code : "INTERNAL_ERROR";
    deps.audit.record({ ...entry(), ok: false, error: code });
    throw err;
  }
}

/** Control characters, line and paragraph separators and bidirectional controls. */
const UNSAFE_IN_A_LINE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` with its control characters, line and paragraph separators and bidirectional controls
 * written as `\uXXXX` escapes: an audit target comes from the request (a path segment is decoded,
 * so `%0A` is a line feed), and a sink that writes one entry per line must get one line.
 */
function oneLine(text: string): string {
  return text.replace(UNSAFE_IN_A_LINE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Refuses the request (403) unless its token has the `write` role. */
export function requireWrite(c: ApiContext, what: string): void {
  if (c.get("session").role !== "write")
    throw new HttpError(
      403,
      "FORBIDDEN",
      `${what} needs a token with the write role; this one may only read`,
    );
}

/**
 * Refuses a body on a route that takes none, with the answers a body route gives (413 over
 * 1 MiB, 415 not JSON, 400 bad JSON), or 400 `INVALID_BODY` for JSON other than `{}` or `null`.
 */
async function noBody(request: Request): Promise<void> {
  const body = await readJsonBody(request);
  if (body === undefined || body === null) return;
  if (typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0) return;
  throw new HttpError(400, "INVALID_BODY", "this action takes no body");
}
