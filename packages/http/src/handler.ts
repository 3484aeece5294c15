import { ConfigError } from "@sched/core";
import { readOptions } from "@sched/core/adapter";
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { type AuditEntry, AuditLog } from "./audit-log.js";
import { type AuthOptions, type Session, TokenTable } from "./auth.js";
import { type AssetSource, dashboardLoader } from "./dashboard-assets.js";
import { errorResponse, HttpError, jsonError } from "./http-error.js";
import { openApiDocument } from "./openapi.js";
import { type PayloadSetting, PayloadView } from "./payload-view.js";
import { QueryParams } from "./request-input.js";
import { jobRoutes } from "./routes/job-routes.js";
import { queueRoutes } from "./routes/queue-routes.js";
import type { Api, RouteDeps } from "./routes/route-kit.js";
import { scheduleRoutes } from "./routes/schedule-routes.js";
import { statusRoutes } from "./routes/status-routes.js";
import type { OperableScheduler } from "./scheduler-surface.js";

declare const __VERSION__: string;

/** A standard fetch handler: a `Request` in, a `Response` out. */
export type HttpHandler = (request: Request) => Promise<Response>;

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** The scheduler to operate (it need not be started to be read). */
  scheduler: OperableScheduler;
  /** Required: the bearer tokens and their roles. Without it the handler refuses to be created. */
  auth: AuthOptions;
  /** The path the handler is mounted at, such as `/scheduler` (default: the root). */
  basePath?: string;
  /** How job payloads appear: `"show"` (default), `"hide"`, or `{ redact: ["dot.path", …] }`. */
  payloads?: PayloadSetting;
  /** The origins allowed to call the API from a browser; without it no CORS header is sent. */
  cors?: { origins: string[] };
  /** Receives each write action (also kept in memory, the last 1000, at `GET /api/audit`). */
  audit?: (entry: AuditEntry) => unknown;
  /** Whether `GET /` and `/assets/*` serve the dashboard (default `true`). */
  dashboard?: boolean;
  /** The dashboard's files (default: loaded from `@sched/dashboard` when it is installed). */
  assets?: AssetSource;
}

const OPTION_FIELDS = ["scheduler", "auth", "basePath", "payloads", "cors", "audit", "dashboard", "assets"];
const SCHEDULER_METHODS = ["now", "stats", "listQueues", "listJobs", "getJob", "listSchedules"] as const;
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * Creates the HTTP API of a scheduler as a standard `(request: Request) => Promise<Response>`
 * handler, to mount in any server (Node through {@link serve} or {@link toNodeListener}, Hono,
 * Express, Fastify, Deno, Bun). JSON endpoints live under `<basePath>/api/`, the OpenAPI 3.1
 * document at `<basePath>/openapi.json`, the dashboard at `<basePath>/`.
 *
 * Closed by default: every API request needs `Authorization: Bearer <token>` with a token of
 * `auth.tokens` (401 otherwise); actions need the `write` role (403 otherwise) and are recorded
 * in the audit log. Errors are JSON `{ error: { code, message } }` with a 4xx status for any
 * malformed, oversized (over 1 MiB) or unknown request, which changes nothing.
 *
 * @example
 * const handler = createHttpHandler({ scheduler, auth: { tokens: { [process.env.SCHED_TOKEN!]: "write" } } });
 * const response = await handler(new Request("http://localhost/api/queues", { headers: { authorization: `Bearer ${token}` } }));
 * @throws ConfigError (`CONFIG_INVALID`) without `auth`, for a malformed token or grant, an
 *   unknown option, a bad `basePath`, `payloads` or `cors`, or a missing scheduler.
 */
export function createHttpHandler(given: HttpHandlerOptions): HttpHandler {
  // Read once: a getter or proxy that throws is a ConfigError, and the checks see what is kept.
  const options = readOptions(given, "", "option");
  if (options === null || typeof options !== "object")
    throw new ConfigError("options", "expected { scheduler, auth }");
  const unknown = Object.keys(options).filter((field) => !OPTION_FIELDS.includes(field));
  if (unknown.length > 0)
    throw new ConfigError(
      "options",
      `unknown option(s) ${unknown.join(", ")}; expected ${OPTION_FIELDS.join(", ")}`,
    );
  const tokens = new TokenTable(options.auth);
  const scheduler = options.scheduler;
  if (
    scheduler === null ||
    typeof scheduler !== "object" ||
    SCHEDULER_METHODS.some(
      (method) => typeof (scheduler as unknown as Record<string, unknown>)[method] !== "function",
    )
  ) {
    throw new ConfigError("scheduler", "expected a Scheduler from @sched/core");
  }
  const basePath = options.basePath ?? "";
  if (basePath !== "" && (!BASE_PATH.test(basePath) || /(?:^|\/)\.{1,2}(?:\/|$)/.test(basePath)))
    throw new ConfigError(
      "basePath",
      'expected a path such as "/scheduler" (no trailing slash, no . or .. segment), or ""',
    );
  const origins = corsOrigins(options.cors);
  if (options.audit !== undefined && typeof options.audit !== "function")
    throw new ConfigError("audit", "expected a function that receives each audit entry");
  if (options.dashboard !== undefined && typeof options.dashboard !== "boolean")
    throw new ConfigError("dashboard", "expected true or false");
  if (
    options.assets !== undefined &&
    !(options.assets instanceof Map) &&
    typeof options.assets !== "function"
  )
    throw new ConfigError("assets", "expected a Map of path → { body, type }, or a function returning one");
  if (options.assets instanceof Map) {
    for (const [path, asset] of options.assets) {
      const file = asset as Partial<{ body: unknown; type: unknown }> | null;
      if (
        typeof path !== "string" ||
        !path.startsWith("/") ||
        !(file?.body instanceof Uint8Array) ||
        typeof file.type !== "string"
      ) {
        throw new ConfigError(
          "assets",
          `expected each entry as "/path" → { body: Uint8Array, type: "media/type" }; ${JSON.stringify(String(path)).slice(0, 80)} is not`,
        );
      }
    }
  }
  const deps: RouteDeps = {
    scheduler,
    payloads: new PayloadView(options.payloads),
    audit: new AuditLog(options.audit),
  };
  const dashboard = options.dashboard ?? true;
  const app = buildApp({ basePath, tokens, deps, origins, dashboard, assets: options.assets });
  return async (request) => app.fetch(request);
}

/** The parts {@link buildApp} wires together. */
export interface AppParts {
  basePath: string;
  tokens: TokenTable;
  deps: RouteDeps;
  origins: string[] | null;
  dashboard: boolean;
  assets: AssetSource | undefined;
}

/** The Hono app of the handler (exported for tests, which compare its routes with the OpenAPI document). */
export function buildApp(parts: AppParts): Hono<{ Variables: { session: Session } }> {
  const root = new Hono<{ Variables: { session: Session } }>();
  const app: Api = parts.basePath === "" ? root : root.basePath(parts.basePath);
  const methodsByRoute: Array<{ pattern: RegExp; method: string; literal: boolean }> = [];

  if (parts.origins !== null) {
    app.use(
      "*",
      cors({
        origin: parts.origins.includes("*") ? "*" : parts.origins,
        allowMethods: ["GET", "POST", "PATCH", "DELETE"],
        allowHeaders: ["Authorization", "Content-Type"],
        maxAge: 600,
      }),
    );
  }
  app.use("*", securityHeaders);
  const authenticate: MiddlewareHandler<{ Variables: { session: Session } }> = async (c, next) => {
    const session = parts.tokens.authenticate(c.req.header("authorization") ?? null);
    if (session === null) {
      throw new HttpError(
        401,
        "UNAUTHORIZED",
        "send Authorization: Bearer <token> with a token the server knows",
        {
          "www-authenticate": 'Bearer realm="sched"',
        },
      );
    }
    c.set("session", session);
    await next();
  };
  app.use("/api/*", authenticate);
  app.use("/openapi.json", authenticate);

  const document = JSON.stringify(
    openApiDocument(parts.basePath, typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0", parts.dashboard),
  );
  app.get("/openapi.json", (c) => {
    // It takes no parameter: one is a mistake to report (as on every route), not to ignore.
    new QueryParams(c.req.url, []);
    return c.body(document, 200, { "content-type": "application/json; charset=utf-8" });
  });
  statusRoutes(app, parts.deps);
  queueRoutes(app, parts.deps);
  jobRoutes(app, parts.deps);
  scheduleRoutes(app, parts.deps);
  if (parts.dashboard) dashboardRoutes(root, app, parts.basePath, parts.assets);

  for (const route of root.routes) {
    if (route.method === "ALL") continue;
    const pattern = route.path
      .split("/")
      .map((segment) =>
        segment === "*"
          ? ".+"
          : segment.startsWith(":")
            ? "[^/]+"
            : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    methodsByRoute.push({
      pattern: new RegExp(`^${pattern}$`),
      method: route.method,
      literal: !/[:*]/.test(route.path),
    });
  }
  root.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const matching = methodsByRoute.filter((r) => r.pattern.test(path));
    // A path that is a route of its own (`/api/jobs/retry`) answers with that route's methods, not
    // with those of a route it also matches by a parameter (`/api/jobs/:id`).
    const routes = matching.some((r) => r.literal) ? matching.filter((r) => r.literal) : matching;
    const allowed = [...new Set(routes.map((r) => r.method))];
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      return jsonError(
        405,
        "METHOD_NOT_ALLOWED",
        `${c.req.method} is not allowed here; use ${allowed.join(", ")}`,
        {
          allow: allowed.join(", "),
        },
      );
    }
    return jsonError(404, "NOT_FOUND", "no such endpoint; see openapi.json");
  });
  root.onError((err) => errorResponse(err));
  return root;
}

const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("x-content-type-options", "nosniff");
  c.res.headers.set("referrer-policy", "no-referrer");
  if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
};

/** Serves the dashboard's files, publicly: they hold no data, and the page asks for a token. */
function dashboardRoutes(root: Api, app: Api, basePath: string, source: AssetSource | undefined): void {
  const assets = dashboardLoader(source);
  const notInstalled = () =>
    jsonError(
      404,
      "DASHBOARD_NOT_INSTALLED",
      "the dashboard is not installed: npm install @sched/dashboard (the API under /api/ works without it)",
    );
  const file = async (path: string): Promise<Response> => {
    const files = await assets();
    if (files === null) return notInstalled();
    const asset = files.get(path);
    if (asset === undefined) return jsonError(404, "NOT_FOUND", "no such file");
    return new Response(asset.body, {
      headers: {
        "content-type": asset.type,
        // The file names carry no content hash: a browser must check for a newer build each time.
        "cache-control": "no-cache",
        "x-frame-options": "DENY",
        "content-security-policy":
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      },
    });
  };
  if (basePath === "") {
    app.get("/", () => file("/index.html"));
  } else {
    // The page's links (`assets/app.js`, `api/…`) are relative: under a base path they need the
    // trailing slash to resolve inside it.
    app.get("/", (c) => c.redirect(`${basePath}/`, 308));
    root.get(`${basePath}/`, () => file("/index.html"));
  }
  app.get("/assets/*", (c) => {
    const prefix = `${basePath}/assets/`;
    const path = new URL(c.req.url).pathname;
    return file(`/assets/${path.slice(prefix.length)}`);
  });
}

function corsOrigins(option: unknown): string[] | null {
  if (option === undefined) return null;
  const origins = (option as { origins?: unknown } | null)?.origins;
  if (
    !Array.isArray(origins) ||
    origins.length === 0 ||
    Object.keys(option as object).some((k) => k !== "origins")
  )
    throw new ConfigError("cors", 'expected { origins: ["https://ops.example.com", …] }');
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === "string" ? new URL(origin) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || parsed.origin !== origin)
      throw new ConfigError("cors", `"${String(origin)}" is not an origin such as https://ops.example.com`);
  }
  return origins as string[];
}
