// The OpenAPI 3.1 document served at /openapi.json. Every route of the handler is described
// here, and nothing else: a test compares this document with the routes the app registers.

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, "null"], ...extra });
const dateTime: Schema = { type: "string", format: "date-time" };
const nullableDateTime: Schema = { type: ["string", "null"], format: "date-time" };
const count: Schema = { type: "integer", minimum: 0 };
const STATUSES = ["pending", "scheduled", "running", "completed", "failed", "dead", "cancelled"];

const counts: Schema = {
  type: "object",
  required: STATUSES,
  properties: Object.fromEntries(STATUSES.map((status) => [status, count])),
};

const rateLimit: Schema = {
  type: ["object", "null"],
  required: ["max", "per"],
  properties: {
    max: { type: "integer", minimum: 1 },
    per: { type: "integer", minimum: 1, description: "ms" },
  },
};

const schemas: Record<string, Schema> = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "string" }, message: { type: "string" } },
      },
    },
  },
  Session: {
    type: "object",
    required: ["role", "name"],
    properties: { role: { enum: ["read", "write"] }, name: { type: "string" } },
  },
  Stats: {
    ...counts,
    properties: {
      ...(counts.properties as Schema),
      byQueue: { type: "object", additionalProperties: counts },
    },
  },
  QueueInfo: {
    type: "object",
    required: [
      "name",
      "paused",
      "concurrency",
      "rateLimit",
      "group",
      "limitedUntil",
      "localConcurrency",
      "counts",
    ],
    properties: {
      name: { type: "string" },
      paused: { type: "boolean" },
      concurrency: nullable("integer"),
      rateLimit,
      group: {
        type: ["object", "null"],
        properties: { concurrency: nullable("integer"), rateLimit },
      },
      limitedUntil: nullableDateTime,
      localConcurrency: nullable("integer"),
      counts,
    },
  },
  QueueConfig: {
    type: "object",
    additionalProperties: false,
    properties: {
      concurrency: nullable("integer", { minimum: 1 }),
      rateLimit: {
        type: ["object", "null"],
        required: ["max", "per"],
        properties: {
          max: { type: "integer", minimum: 1 },
          per: { type: ["integer", "string"], description: 'ms, or a duration such as "1m"' },
        },
      },
      group: {
        type: ["object", "null"],
        properties: {
          concurrency: nullable("integer", { minimum: 1 }),
          rateLimit: { type: ["object", "null"] },
        },
      },
    },
  },
  Job: {
    type: "object",
    required: ["id", "name", "payload", "queue", "status", "createdAt", "scheduledAt"],
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      payload: {
        description: 'The JSON payload, or "[hidden]", or with fields "[redacted]" (the payloads option).',
      },
      queue: { type: "string" },
      priority: { type: "integer" },
      maxRetries: { type: "integer" },
      retryCount: { type: "integer" },
      timeout: { type: "integer", description: "ms; 0 for none" },
      scheduledAt: dateTime,
      createdAt: dateTime,
      startedAt: nullableDateTime,
      completedAt: nullableDateTime,
      error: nullable("string"),
      status: { enum: STATUSES },
      metadata: { type: "object", additionalProperties: { type: "string" } },
      uniqueKey: nullable("string"),
      group: nullable("string"),
      attempt: { type: "integer" },
      lostLeases: { type: "integer" },
      lockedUntil: nullableDateTime,
      lockedBy: nullable("string"),
      history: {
        type: "array",
        items: {
          type: "object",
          properties: { attempt: { type: "integer" }, error: { type: "string" }, failedAt: dateTime },
        },
      },
    },
  },
  JobPage: {
    type: "object",
    required: ["jobs", "nextCursor"],
    properties: { jobs: { type: "array", items: ref("Job") }, nextCursor: nullable("string") },
  },
  JobSelector: {
    type: "object",
    additionalProperties: false,
    properties: {
      queue: { type: "string" },
      name: { type: "string" },
      status: { oneOf: [{ enum: STATUSES }, { type: "array", items: { enum: STATUSES } }] },
      group: { type: "string" },
      from: dateTime,
      to: dateTime,
    },
  },
  Count: { type: "object", required: ["count"], properties: { count } },
  Schedule: {
    type: "object",
    required: ["name", "definition", "paused", "nextRunAt", "lastRunAt"],
    properties: {
      name: { type: "string" },
      definition: { type: "object" },
      paused: { type: "boolean" },
      nextRunAt: nullableDateTime,
      lastRunAt: nullableDateTime,
      occurrences: count,
      createdAt: dateTime,
      updatedAt: dateTime,
      definedAt: dateTime,
      definedBy: nullable("string"),
    },
  },
  ScheduleWithNext: {
    allOf: [
      ref("Schedule"),
      { type: "object", required: ["next"], properties: { next: { type: "array", items: dateTime } } },
    ],
  },
  Instance: {
    type: "object",
    required: [
      "id",
      "host",
      "pid",
      "version",
      "queues",
      "workers",
      "busy",
      "leader",
      "distributed",
      "lastSeenAt",
    ],
    properties: {
      id: { type: "string" },
      host: { type: "string" },
      pid: { type: "integer" },
      version: { type: "string" },
      queues: { type: ["array", "null"], items: { type: "string" } },
      workers: { type: "integer" },
      busy: { type: "integer" },
      leader: {
        type: "boolean",
        description: "Fires schedules: the elected leader, or any instance without distributed mode.",
      },
      distributed: { type: "boolean", description: "Takes part in leader election." },
      startedAt: dateTime,
      lastSeenAt: dateTime,
    },
  },
  Overview: {
    type: "object",
    required: ["stats", "queues", "instances", "leader", "now"],
    properties: {
      stats: ref("Stats"),
      queues: { type: "array", items: ref("QueueInfo") },
      instances: { type: "array", items: ref("Instance") },
      leader: nullable("string", { description: "The leading instance's id." }),
      now: dateTime,
    },
  },
  ThroughputPoint: {
    type: "object",
    required: ["minute", "completed", "failed"],
    properties: { minute: dateTime, completed: count, failed: count },
  },
  AuditEntry: {
    type: "object",
    required: ["at", "who", "action", "target", "ok"],
    properties: {
      at: dateTime,
      who: { type: "string", description: "The token's name." },
      action: { type: "string" },
      target: {
        type: "string",
        description:
          "A queue or schedule name, a job id, or a bulk action's body as sent, as JSON (null and [1] too); else (no body), (body refused) when it is not JSON the API reads, or (body not read) when the token may not write. At most 200 characters and an ellipsis.",
      },
      ok: { type: "boolean" },
      error: { type: "string" },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

const ERRORS = {
  "400": errorResponse(
    "A malformed id (INVALID_ID), name (INVALID_NAME), query parameter (INVALID_QUERY), JSON body (INVALID_JSON) or body field (INVALID_BODY), or a path with a . or .. segment (INVALID_PATH, from serve() and toNodeListener()). The message starts with the name of the bad parameter or field.",
  ),
  "401": errorResponse("No token, or an unknown one."),
  "404": errorResponse(
    "No such job, schedule or queue (a queue without jobs, settings or an instance serving it).",
  ),
  "405": errorResponse("A method the path does not take (the Allow header lists those it does)."),
  "503": errorResponse(
    "The store did not answer: unreachable, closed or timed out (STORE_ERROR, STORE_TIMEOUT, STORE_CLOSED), or its tables are not migrated (MIGRATION_REQUIRED).",
  ),
};
const FORBIDDEN = { "403": errorResponse("The token may only read.") };
const WRITE_ERRORS = {
  ...ERRORS,
  ...FORBIDDEN,
  "409": errorResponse("The action conflicts with the job's state."),
};

/** `?create=true`: act on a queue the store does not know yet (else 404 `QUEUE_NOT_FOUND`). */
const createQuery: [string, Schema, string] = [
  "create",
  { enum: ["true", "false"], default: "false" },
  "Act on a queue that has no jobs, settings or instance yet (else 404).",
];

interface Operation {
  summary: string;
  response: Schema;
  write?: boolean;
  /** A read that needs the write role all the same (403 for a read token). */
  writeRole?: boolean;
  query?: Array<[name: string, schema: Schema, description: string]>;
  body?: Schema;
}

function operation(op: Operation, pathParams: string[]): Schema {
  const parameters = [
    ...pathParams.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
    ...(op.query ?? []).map(([name, schema, description]) => ({ name, in: "query", schema, description })),
  ];
  return {
    summary: op.summary,
    ...(op.write ? { description: "Needs a token with the write role; recorded in the audit log." } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: false, content: { "application/json": { schema: op.body } } } }
      : {}),
    responses: {
      "200": { description: "OK", content: { "application/json": { schema: op.response } } },
      ...(op.write ? WRITE_ERRORS : ERRORS),
      ...(op.writeRole ? FORBIDDEN : {}),
      ...(op.body
        ? {
            "413": errorResponse("The body is over 1 MiB."),
            "415": errorResponse("A body that is not sent as application/json."),
          }
        : {}),
    },
  };
}

const array = (name: string): Schema => ({ type: "array", items: ref(name) });
const dateQuery: Schema = { type: "string", format: "date-time" };

/** The API's operations by path and method (paths relative to the handler's `basePath`). */
const API: Record<string, Record<string, Operation>> = {
  "/api/session": { get: { summary: "The role and name of the token used", response: ref("Session") } },
  "/api/overview": {
    get: { summary: "Counts, queues, instances and the leader", response: ref("Overview") },
  },
  "/api/queues": {
    get: { summary: "Every queue with its state, limits and counts", response: array("QueueInfo") },
  },
  "/api/queues/{name}": {
    get: { summary: "A queue", response: ref("QueueInfo") },
    patch: {
      summary: "Set a queue's limits",
      response: ref("QueueInfo"),
      write: true,
      body: ref("QueueConfig"),
      query: [createQuery],
    },
  },
  "/api/queues/{name}/pause": {
    post: { summary: "Pause a queue", response: ref("QueueInfo"), write: true, query: [createQuery] },
  },
  "/api/queues/{name}/resume": {
    post: { summary: "Resume a queue", response: ref("QueueInfo"), write: true, query: [createQuery] },
  },
  "/api/jobs": {
    get: {
      summary: "A page of jobs, by cursor",
      response: ref("JobPage"),
      query: [
        ["queue", { type: "string" }, "Only this queue."],
        ["name", { type: "string" }, "Only this handler name."],
        ["status", { type: "string" }, "Comma-separated statuses."],
        ["group", { type: "string" }, "Only this group key."],
        ["from", dateQuery, "Created at or after."],
        ["to", dateQuery, "Created before."],
        ["limit", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size."],
        ["cursor", { type: "string" }, "The nextCursor of the previous page."],
        ["order", { enum: ["asc", "desc"], default: "asc" }, "Oldest or newest first."],
        [
          "payloads",
          { enum: ["show", "hide"], default: "show" },
          'hide: each payload is "[hidden]" (a list view needs none, and they may be large).',
        ],
      ],
    },
  },
  "/api/jobs/retry": {
    post: {
      summary: "Retry every dead or cancelled job matching (an empty filter is refused)",
      response: ref("Count"),
      write: true,
      body: ref("JobSelector"),
    },
  },
  "/api/jobs/delete": {
    post: {
      summary: "Delete every job matching that is not running (an empty filter is refused)",
      response: ref("Count"),
      write: true,
      body: ref("JobSelector"),
    },
  },
  "/api/jobs/{id}": {
    get: { summary: "A job", response: ref("Job") },
    delete: {
      summary: "Delete a job that is not running; returns it as it was",
      response: ref("Job"),
      write: true,
    },
  },
  "/api/jobs/{id}/retry": {
    post: { summary: "Retry a dead or cancelled job", response: ref("Job"), write: true },
  },
  "/api/jobs/{id}/cancel": {
    post: {
      summary: "Cancel a waiting or running job (409 once it finished)",
      response: ref("Job"),
      write: true,
    },
  },
  "/api/jobs/{id}/promote": {
    post: { summary: "Run a scheduled or failed-waiting job now", response: ref("Job"), write: true },
  },
  "/api/schedules": { get: { summary: "Every schedule", response: array("Schedule") } },
  "/api/schedules/{name}": {
    get: {
      summary: "A schedule and its next runs",
      response: ref("ScheduleWithNext"),
      query: [["preview", { type: "integer", minimum: 0, maximum: 100, default: 5 }, "How many next runs."]],
    },
  },
  "/api/schedules/{name}/pause": {
    post: { summary: "Pause a schedule", response: ref("Schedule"), write: true },
  },
  "/api/schedules/{name}/resume": {
    post: { summary: "Resume a schedule", response: ref("Schedule"), write: true },
  },
  "/api/schedules/{name}/trigger": {
    post: { summary: "Run a schedule's job now", response: ref("Job"), write: true },
  },
  "/api/instances": { get: { summary: "The running scheduler instances", response: array("Instance") } },
  "/api/throughput": {
    get: {
      summary: "Completed and failed jobs per minute",
      response: array("ThroughputPoint"),
      query: [
        ["queue", { type: "string" }, "Only this queue (default: all, summed)."],
        ["since", dateQuery, "Default: an hour before until."],
        ["until", dateQuery, "Default: now."],
      ],
    },
  },
  "/api/audit": {
    get: {
      summary: "The recent write actions, newest first (needs the write role)",
      response: array("AuditEntry"),
      writeRole: true,
      query: [["limit", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "How many."]],
    },
  },
};

/**
 * The OpenAPI 3.1 document of a handler mounted at `basePath` ("" for the root), with the
 * package's version; the dashboard's paths only when it is served.
 */
export function openApiDocument(basePath: string, version: string, dashboard: boolean): Schema {
  const paths: Record<string, Schema> = {
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: {
          "200": { description: "OK", content: { "application/json": { schema: { type: "object" } } } },
          "401": ERRORS["401"],
        },
      },
    },
  };
  for (const [path, methods] of Object.entries(API)) {
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
    paths[path] = Object.fromEntries(
      Object.entries(methods).map(([method, op]) => [method, operation(op, pathParams)]),
    );
  }
  const html = (summary: string, pathParams: string[] = []): Schema => ({
    get: {
      summary,
      security: [],
      ...(pathParams.length > 0
        ? {
            parameters: pathParams.map((name) => ({
              name,
              in: "path",
              required: true,
              schema: { type: "string" },
            })),
          }
        : {}),
      responses: {
        "200": { description: "The file" },
        "404": errorResponse("No such file, or @sched/dashboard is not installed."),
      },
    },
  });
  if (dashboard) {
    paths["/"] = html("The dashboard (public: it asks for a token)");
    paths["/assets/{path}"] = html("The dashboard's static files (public)", ["path"]);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "@sched HTTP API",
      version,
      description:
        "Errors are JSON { error: { code, message } }. Every path answers 405 to a method it does not take (the dashboard's files and this document included). Mounted with serve() or toNodeListener(), a path with a . or .. segment is a 400 INVALID_PATH, and a request whose body a middleware read first a 500 BODY_ALREADY_READ. Node's HTTP server itself answers 431, without that body, to request headers over 16 KB (a URL that long included).",
    },
    servers: [{ url: basePath === "" ? "/" : basePath }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas,
    },
    paths,
  };
}
