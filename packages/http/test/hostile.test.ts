import type { Scheduler } from "@sched/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuditEntry, type HttpHandler, MAX_BODY_BYTES, MAX_BODY_DEPTH } from "../src/index.js";
import { repeatedKey } from "../src/request-input.js";
import { call, handlerFor, type Json, READ_TOKEN, startedScheduler } from "./harness.js";

let scheduler: Scheduler;
let handler: HttpHandler;
const audit: AuditEntry[] = [];
let jobId: string;

beforeAll(async () => {
  scheduler = await startedScheduler({ queues: ["none"] });
  handler = handlerFor(scheduler, {}, audit);
  jobId = (await scheduler.enqueue({ name: "send", queue: "emails", payload: { n: 1 } })).id;
  await scheduler.schedule("nightly", "0 3 * * *", () => {});
});

afterAll(async () => {
  await scheduler.stop();
});

/** Everything a request could change: jobs, queues, schedules. */
async function state(): Promise<string> {
  const [jobs, queues, schedules] = await Promise.all([
    scheduler.listJobs({ limit: 1000 }),
    scheduler.listQueues(),
    scheduler.listSchedules(),
  ]);
  return JSON.stringify({ jobs, queues, schedules });
}

async function expectRefused(
  request: Promise<{ status: number; headers: Headers; body: Json }>,
  status: number,
  code: string,
): Promise<void> {
  const before = await state();
  const auditBefore = audit.filter((entry) => entry.ok).length;
  const response = await request;
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.body.error.code).toBe(code);
  expect(typeof response.body.error.message).toBe("string");
  expect(await state()).toBe(before);
  expect(audit.filter((entry) => entry.ok).length).toBe(auditBefore);
}

describe("hostile requests get a 4xx JSON error and change nothing", () => {
  it("no token, an unknown token, or a malformed Authorization header: 401", async () => {
    await expectRefused(
      call(handler, "POST", "/api/queues/emails/pause", { token: null }),
      401,
      "UNAUTHORIZED",
    );
    await expectRefused(
      call(handler, "POST", "/api/queues/emails/pause", { token: "x".repeat(28) }),
      401,
      "UNAUTHORIZED",
    );
    await expectRefused(
      call(handler, "POST", "/api/queues/emails/pause", {
        token: null,
        headers: { authorization: "Basic b3BzOm9wcw==" },
      }),
      401,
      "UNAUTHORIZED",
    );
    const response = await call(handler, "GET", "/openapi.json", { token: null });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="sched"');
  });

  it("malformed ids and names: 400", async () => {
    for (const id of ["..%2f..", "a%2fb", "a%5cb", "a%00b", "a%252fb", "x".repeat(233)]) {
      await expectRefused(call(handler, "POST", `/api/jobs/${id}/cancel`), 400, "INVALID_ID");
    }
    // A 200-character id's dead letter (`<id>:dead:<attempt>`) is a job id the path takes.
    await expectRefused(call(handler, "GET", `/api/jobs/${"x".repeat(200)}:dead:1001`), 404, "JOB_NOT_FOUND");
    await expectRefused(call(handler, "GET", "/api/jobs/..%2f..%2fetc%2fpasswd"), 400, "INVALID_ID");
    await expectRefused(call(handler, "POST", "/api/queues/emails%2f..%2fx/pause"), 400, "INVALID_NAME");
    await expectRefused(call(handler, "POST", "/api/queues/a%20b/pause"), 400, "INVALID_NAME");
    await expectRefused(call(handler, "POST", "/api/schedules/%3Cscript%3E/trigger"), 400, "INVALID_NAME");
  });

  it("path traversal resolves inside the API or nowhere: never to a file", async () => {
    // The URL parser removes `..` segments before routing; what is left must be a route.
    await expectRefused(call(handler, "POST", "/api/jobs/../../queues/emails/x"), 404, "NOT_FOUND");
    await expectRefused(call(handler, "POST", "/api/jobs/%2e%2e/cancel"), 404, "NOT_FOUND");
    await expectRefused(
      call(handler, "GET", "/assets/..%2f..%2fpackage.json", { token: null }),
      404,
      "NOT_FOUND",
    );
    await expectRefused(call(handler, "GET", "/assets/../../etc/passwd", { token: null }), 404, "NOT_FOUND");
  });

  it("a body over 1 MiB: 413, whether its length is declared or not", async () => {
    const huge = JSON.stringify({ queue: "emails", pad: "x".repeat(MAX_BODY_BYTES) });
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", {
        rawBody: huge,
        headers: { "content-type": "application/json" },
      }),
      413,
      "BODY_TOO_LARGE",
    );
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES * 2) controller.close();
        else {
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        }
      },
    });
    await expectRefused(
      call(handler, "PATCH", "/api/queues/emails", {
        rawBody: stream,
        headers: { "content-type": "application/json" },
      }),
      413,
      "BODY_TOO_LARGE",
    );
    expect(sent).toBeLessThan(MAX_BODY_BYTES * 2);
  });

  it("bad JSON, a body that is not JSON, or not an object: 400 or 415", async () => {
    const json = { "content-type": "application/json" };
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", { rawBody: "{bad", headers: json }),
      400,
      "INVALID_JSON",
    );
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", {
        rawBody: "queue=emails",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    // JSON is UTF-8: a body declared in another charset is refused, not read as UTF-8.
    for (const type of ["application/json; charset=latin1", 'application/json;charset="ISO-8859-1"']) {
      await expectRefused(
        call(handler, "POST", "/api/jobs/delete", {
          rawBody: '{"queue":"emails"}',
          headers: { "content-type": type },
        }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
    }
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", {
        rawBody: '{"queue":"emails","evil":1}',
        headers: { "content-type": "application/json; charset=UTF-8" },
      }),
      400,
      "INVALID_BODY",
    );
    await expectRefused(call(handler, "PATCH", "/api/queues/emails", { body: [1, 2] }), 400, "INVALID_BODY");
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", { body: { queue: "emails", evil: 1 } }),
      400,
      "INVALID_BODY",
    );
    await expectRefused(
      call(handler, "POST", "/api/jobs/retry", { body: { status: "zombie" } }),
      400,
      "INVALID_BODY",
    );
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", { body: { from: "yesterday" } }),
      400,
      "INVALID_BODY",
    );
    await expectRefused(
      call(handler, "PATCH", "/api/queues/emails", { body: { concurrency: "lots" } }),
      400,
      "INVALID_BODY",
    );
    await expectRefused(
      call(handler, "PATCH", "/api/queues/emails", { body: { __proto__: { x: 1 }, nope: 1 } }),
      400,
      "INVALID_BODY",
    );
  });

  it("a value only the scheduler can check is a bad query or body, named as the request named it", async () => {
    for (const [method, path, body, code, message] of [
      ["GET", "/api/jobs?cursor=garbage", undefined, "INVALID_QUERY", /^cursor: expected the nextCursor/],
      ["GET", "/api/jobs?from=0000-01-01", undefined, "INVALID_QUERY", /^from: /],
      [
        "PATCH",
        "/api/queues/emails",
        { concurrency: 0 },
        "INVALID_BODY",
        /^concurrency: expected an integer/,
      ],
      ["PATCH", "/api/queues/emails", { nope: 1 }, "INVALID_BODY", /^nope: is not a field here/],
      [
        "PATCH",
        "/api/queues/emails",
        { rateLimit: { max: 1, duration: 1 } },
        "INVALID_BODY",
        /^rateLimit\.duration: /,
      ],
      [
        "PATCH",
        "/api/queues/emails",
        { group: { concurrency: -1 } },
        "INVALID_BODY",
        /^group\.concurrency: /,
      ],
      ["POST", "/api/jobs/retry", { status: "pending" }, "INVALID_BODY", /^status: only dead or cancelled/],
      ["POST", "/api/jobs/delete", { from: "0000-01-01T00:00:00Z" }, "INVALID_BODY", /^from: /],
    ] as const) {
      const before = await state();
      const response = await call(handler, method, path, body === undefined ? {} : { body });
      expect(response.status, path).toBe(400);
      expect(response.body.error.code, `${path} ${JSON.stringify(body)}`).toBe(code);
      expect(response.body.error.message, path).toMatch(message);
      expect(await state()).toBe(before);
      if (method !== "GET") expect(audit.at(-1)).toMatchObject({ ok: false, error: code });
    }
  });

  it("a body that repeats a key in one object: 400 INVALID_JSON, nothing done", async () => {
    const json = { "content-type": "application/json" };
    // JSON.parse keeps the last "queue"; a proxy reading the first would see another request.
    for (const rawBody of [
      '{"queue":"zz","status":"dead","queue":"emails"}',
      '{"status":"dead","queue":"emails","\\u0071ueue":"zz"}',
      '{"status":["dead"],"queue":"emails","from":"2020-01-01T00:00:00.000Z","from":"2021-01-01T00:00:00.000Z"}',
    ]) {
      for (const path of ["/api/jobs/retry", "/api/jobs/delete"]) {
        await expectRefused(call(handler, "POST", path, { rawBody, headers: json }), 400, "INVALID_JSON");
      }
    }
    await expectRefused(
      call(handler, "PATCH", "/api/queues/emails", {
        rawBody: '{"rateLimit":{"max":1,"per":"1s","max":1000}}',
        headers: json,
      }),
      400,
      "INVALID_JSON",
    );
    // The same key in two objects, or a key's text inside a value, is no repetition.
    expect(repeatedKey('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"\\"a\\":"}')).toBeNull();
    expect(repeatedKey('{"a":1,"b":{"c":1,"c":2}}')).toBe("c");
    expect(repeatedKey('[{"x":1},{"y":2,"y":3}]')).toBe("y");
  });

  it("a number past a double's range: 400 INVALID_JSON, audited as refused, nothing done", async () => {
    // JSON.parse reads 1e400 as Infinity, written back as null: the audit showed another body.
    const json = { "content-type": "application/json" };
    const before = await state();
    for (const [method, path, rawBody] of [
      ["POST", "/api/jobs/delete", '{"status":"dead","queue":1e400}'],
      ["POST", "/api/jobs/retry", '{"status":["dead"],"queue":{"a":[-1E+999]}}'],
      ["PATCH", "/api/queues/emails", '{"concurrency":1e309}'],
      ["PATCH", "/api/queues/emails", '{"rateLimit":{"max":2,"per":"1s"},"x":[0,[1e400]]}'],
    ] as const) {
      const recorded = audit.length;
      const response = await call(handler, method, path, { rawBody, headers: json });
      expect(response.status, rawBody).toBe(400);
      expect(response.body.error.code, rawBody).toBe("INVALID_JSON");
      expect(response.body.error.message).toMatch(/beyond the range of a double/);
      const target = path.startsWith("/api/queues/") ? "emails" : "(body refused)";
      expect(audit.slice(recorded), rawBody).toMatchObject([{ ok: false, error: "INVALID_JSON", target }]);
    }
    expect(await state()).toBe(before);
    // The largest double and the smallest subnormal are numbers like any other.
    const response = await call(handler, "PATCH", "/api/queues/emails", {
      rawBody: '{"concurrency":1.7976931348623157e308}',
      headers: json,
    });
    expect(response.body.error.code).toBe("INVALID_BODY");
  });

  it("a body nested deeper than MAX_BODY_DEPTH: 400 INVALID_JSON on every body route, at any depth", async () => {
    const json = { "content-type": "application/json" };
    const nested = (depth: number, open = "[", close = "]") =>
      `{"status":"dead","queue":${open.repeat(depth)}${close.repeat(depth)}}`;
    for (const [method, path] of [
      ["POST", "/api/jobs/retry"],
      ["POST", "/api/jobs/delete"],
      ["PATCH", "/api/queues/emails"],
    ] as const) {
      // 10,000 levels made the audit log's copy of the body run out of stack: a 500.
      for (const rawBody of [nested(10_000), nested(100_000), nested(MAX_BODY_DEPTH, '{"a":', "}")]) {
        await expectRefused(call(handler, method, path, { rawBody, headers: json }), 400, "INVALID_JSON");
      }
    }
    // Brackets inside strings are not nesting; escaped quotes do not end a string.
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", {
        rawBody: JSON.stringify({ queue: `x"${"[".repeat(100)}` }),
        headers: json,
      }),
      400,
      "INVALID_BODY",
    );
    // Exactly the limit still parses (then fails as a selector would).
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", { rawBody: nested(MAX_BODY_DEPTH - 1), headers: json }),
      400,
      "INVALID_BODY",
    );
  });

  it("a query parameter a write route does not take: 400 INVALID_QUERY, audited, nothing done", async () => {
    // `?dryRun=true` was ignored and the action ran.
    const json = { "content-type": "application/json" };
    const routes: [string, string, Record<string, unknown> | undefined][] = [
      ["POST", "/api/jobs/delete?dryRun=true", { queue: "emails" }],
      ["POST", "/api/jobs/retry?dryRun=true", { status: "dead" }],
      ["POST", `/api/jobs/${jobId}/cancel?dryRun=true`, undefined],
      ["POST", `/api/jobs/${jobId}/retry?x=1`, undefined],
      ["POST", `/api/jobs/${jobId}/promote?x=1`, undefined],
      ["DELETE", `/api/jobs/${jobId}?dryRun=true`, undefined],
      ["POST", "/api/queues/emails/pause?dryRun=true", undefined],
      ["PATCH", "/api/queues/emails?dryRun=true", { concurrency: 2 }],
      ["POST", "/api/schedules/nightly/trigger?dryRun=true", undefined],
      ["POST", "/api/schedules/nightly/pause?dryRun=true", undefined],
    ];
    for (const [method, path, body] of routes) {
      const recorded = audit.length;
      await expectRefused(
        call(
          handler,
          method,
          path,
          body === undefined ? {} : { rawBody: JSON.stringify(body), headers: json },
        ),
        400,
        "INVALID_QUERY",
      );
      expect(audit.slice(recorded), path).toMatchObject([{ ok: false, error: "INVALID_QUERY" }]);
    }
  });

  it("an unknown parameter or body field is quoted escaped: a line break or direction mark cannot break the log line", async () => {
    const query = await call(handler, "GET", "/api/jobs?x%0AERROR%E2%80%AE=1");
    expect(query.status).toBe(400);
    const queryMessage = (query.body as { error: { message: string } }).error.message;
    expect(queryMessage).toContain('unknown query parameter "x\\nERROR\\u202e"');
    expect(/[\n\u202e]/.test(queryMessage)).toBe(false);
    const body = await call(handler, "POST", "/api/jobs/delete", { body: { "a\nb\u2028": 1 } });
    expect(body.status).toBe(400);
    const bodyMessage = (body.body as { error: { message: string } }).error.message;
    expect(bodyMessage).toContain('unknown field "a\\nb\\u2028"');
    expect(/[\n\u2028]/.test(bodyMessage)).toBe(false);
  });

  it("a read token's bulk action is refused (403) and audited, whatever its body", async () => {
    // The body was read before the role: a malformed one answered 400, and nothing was audited.
    const json = { "content-type": "application/json" };
    for (const rawBody of ["{bad", JSON.stringify({ status: "dead" })]) {
      for (const path of ["/api/jobs/delete", "/api/jobs/retry"]) {
        const recorded = audit.length;
        await expectRefused(
          call(handler, "POST", path, { token: READ_TOKEN, rawBody, headers: json }),
          403,
          "FORBIDDEN",
        );
        expect(audit.slice(recorded), path).toMatchObject([
          { ok: false, error: "FORBIDDEN", target: "(body not read)" },
        ]);
      }
    }
    // A write token's malformed body is audited too, with the error it got.
    const recorded = audit.length;
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", { rawBody: "{bad", headers: json }),
      400,
      "INVALID_JSON",
    );
    expect(audit.slice(recorded)).toMatchObject([
      { ok: false, error: "INVALID_JSON", target: "(body refused)" },
    ]);
  });

  it("an audit target from the request is one line: controls and separators escaped", async () => {
    for (const [path, target] of [
      ["/api/jobs/a%0Aok%20job.retry/cancel", "a\\u000aok job.retry"],
      ["/api/queues/q%0D%E2%80%A8x/pause", "q\\u000d\\u2028x"],
      ["/api/schedules/%E2%80%AEnightly/trigger", "\\u202enightly"],
    ] as const) {
      const recorded = audit.length;
      const response = await call(handler, "POST", path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(audit.slice(recorded), path).toMatchObject([{ ok: false, target }]);
    }
  });

  it("a bulk action's audit entry names the body as it was sent, whatever its shape", async () => {
    const json = { "content-type": "application/json" };
    for (const [rawBody, target] of [
      ["null", "null"],
      ["[1,2]", "[1,2]"],
      ["5", "5"],
      ['"dead"', '"dead"'],
      ["{}", "{}"],
      ["", "(no body)"],
      ['{ "status" : "zombie" }', '{"status":"zombie"}'],
    ] as const) {
      const recorded = audit.length;
      await expectRefused(
        call(handler, "POST", "/api/jobs/retry", rawBody === "" ? {} : { rawBody, headers: json }),
        400,
        "INVALID_BODY",
      );
      expect(audit.slice(recorded), rawBody).toMatchObject([{ ok: false, error: "INVALID_BODY", target }]);
    }
  });

  it("wrong methods: 405 with Allow", async () => {
    const response = await call(handler, "DELETE", "/api/queues/emails");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, PATCH, HEAD");
    await expectRefused(call(handler, "GET", "/api/queues/emails/pause"), 405, "METHOD_NOT_ALLOWED");
    await expectRefused(call(handler, "PUT", `/api/jobs/${jobId}`), 405, "METHOD_NOT_ALLOWED");
    await expectRefused(call(handler, "POST", "/openapi.json"), 405, "METHOD_NOT_ALLOWED");
    await expectRefused(call(handler, "OPTIONS", "/api/jobs"), 405, "METHOD_NOT_ALLOWED");
  });

  it("a bulk route's path with another method: 405 Allow: POST, not a job named like it", async () => {
    for (const path of ["/api/jobs/retry", "/api/jobs/delete"]) {
      for (const method of ["GET", "DELETE", "PATCH", "PUT"]) {
        const response = await call(handler, method, path);
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.body.error.code).toBe("METHOD_NOT_ALLOWED");
        expect(response.headers.get("allow"), `${method} ${path}`).toBe("POST");
      }
    }
    // A path that only a parameter route matches keeps that route's methods.
    const response = await call(handler, "PUT", `/api/jobs/${jobId}`);
    expect(response.headers.get("allow")).toBe("GET, DELETE, HEAD");
  });

  it("a group of up to 255 characters is a filter like any other, as in @sched/core", async () => {
    const group = `g${"x".repeat(254)}`;
    await scheduler.enqueue({ name: "send", queue: "grouped", group });
    const response = await call(handler, "GET", `/api/jobs?group=${group}`);
    expect(response.status).toBe(200);
    expect(response.body.jobs.map((job: Json) => job.group)).toEqual([group]);
  });

  it("a queue the store does not know: 404 QUEUE_NOT_FOUND, not an empty queue", async () => {
    await expectRefused(call(handler, "GET", "/api/queues/never_seen_zz"), 404, "QUEUE_NOT_FOUND");
    expect((await call(handler, "GET", "/api/queues/emails")).status).toBe(200);
  });

  it("a body on an action that takes none is refused, and nothing is done", async () => {
    const json = { "content-type": "application/json" };
    await expectRefused(
      call(handler, "POST", "/api/schedules/nightly/trigger", { rawBody: "{bad", headers: json }),
      400,
      "INVALID_JSON",
    );
    await expectRefused(
      call(handler, "POST", "/api/queues/emails/pause", {
        rawBody: "x".repeat(2 * 1024 * 1024),
        headers: json,
      }),
      413,
      "BODY_TOO_LARGE",
    );
    await expectRefused(
      call(handler, "POST", "/api/queues/emails/pause", {
        rawBody: "pause",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    await expectRefused(
      call(handler, "POST", `/api/jobs/${jobId}/cancel`, { body: { force: true } }),
      400,
      "INVALID_BODY",
    );
    // No body, an empty one, {} or null: no body.
    expect((await call(handler, "POST", "/api/queues/emails/pause", { body: {} })).status).toBe(200);
    expect(
      (await call(handler, "POST", "/api/queues/emails/resume", { rawBody: "null", headers: json })).status,
    ).toBe(200);
  });

  it("a body that is not UTF-8 is refused, not read as U+FFFD", async () => {
    const bytes = Buffer.concat([Buffer.from('{"group":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    await expectRefused(
      call(handler, "POST", "/api/jobs/delete", {
        rawBody: bytes,
        headers: { "content-type": "application/json" },
      }),
      400,
      "INVALID_JSON",
    );
  });

  it("unknown routes: 404", async () => {
    await expectRefused(call(handler, "GET", "/api/nothing"), 404, "NOT_FOUND");
    await expectRefused(call(handler, "POST", `/api/jobs/${jobId}/explode`), 404, "NOT_FOUND");
    await expectRefused(call(handler, "GET", "/api/queues/"), 404, "NOT_FOUND");
    await expectRefused(call(handler, "GET", "/.env", { token: null }), 404, "NOT_FOUND");
  });

  it("bad query values: 400", async () => {
    for (const query of [
      "limit=0",
      "limit=1001",
      "limit=ten",
      "limit=1&limit=2",
      "status=zombie",
      "status=pending,",
      "order=sideways",
      "from=2026-13-45",
      "to=now",
      "cursor=not-a-cursor",
      "queue=a%20b",
      "unknown=1",
      // Dates that do not exist (Date.parse would roll them over to March 2 and May 1).
      "from=2026-02-30",
      "to=2026-04-31T00:00:00Z",
      "from=2026-01-01T24:00:00Z",
      // Percent-encoding that is not UTF-8: a lone surrogate, a cut escape.
      "group=%ED%A0%80",
      "group=%E0%A4%A",
      `group=${"g".repeat(256)}`,
      "group=a%00b",
    ]) {
      const response = await call(handler, "GET", `/api/jobs?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe("INVALID_QUERY");
      // The message names the parameter, whether this package or the scheduler refused it.
      expect(response.body.error.message, query).toContain(query.split("=")[0]);
    }
    await expectRefused(
      call(handler, "GET", "/api/throughput?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z"),
      400,
      "INVALID_QUERY",
    );
    // A name the scheduler refuses is a bad query on every route that takes one (throughput's
    // queue answered INVALID_ARGUMENT).
    for (const path of ["/api/throughput", "/api/jobs"]) {
      for (const query of ["queue=a/../b", "queue=.%2Fx", "queue=..", "name=a/./b"]) {
        if (path === "/api/throughput" && query.startsWith("name=")) continue;
        const response = await call(handler, "GET", `${path}?${query}`);
        expect(response.status, `${path}?${query}`).toBe(400);
        expect(response.body.error.code, `${path}?${query}`).toBe("INVALID_QUERY");
        expect(response.body.error.message).toMatch(/^(queue|name): .*"\." or "\.\." between slashes/);
      }
    }
    await expectRefused(call(handler, "GET", "/api/schedules/nightly?preview=101"), 400, "INVALID_QUERY");
    await expectRefused(call(handler, "GET", "/api/audit?limit=-1"), 400, "INVALID_QUERY");
    await expectRefused(call(handler, "GET", "/api/jobs?%ED%A0%80=1"), 400, "INVALID_QUERY");
  });

  it("a PostgreSQL store whose tables are not migrated: 503 MIGRATION_REQUIRED saying what to run", async () => {
    const { PostgresStore } = await import("@sched/store-postgres");
    const { createScheduler } = await import("@sched/core");
    const store = new PostgresStore({
      connectionString: process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test",
      schema: `http_unmigrated_${process.pid}`,
      poolSize: 1,
    });
    const unmigrated = createScheduler({ store });
    try {
      const response = await call(handlerFor(unmigrated), "GET", "/api/jobs");
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        error: { code: "MIGRATION_REQUIRED", message: expect.stringContaining("sched migrate") },
      });
      expect(JSON.stringify(response.body)).not.toContain("127.0.0.1");
    } finally {
      await store.close();
    }
  });

  it("a failure inside the scheduler is a 503 or 500 that tells nothing of its cause", async () => {
    const broken = handlerFor({
      ...scheduler,
      now: () => Date.now(),
      listJobs: () => Promise.reject(new Error("connect ECONNREFUSED postgres://admin:secret@db:5432")),
      listQueues: () => scheduler.listQueues(),
      stats: () => scheduler.stats(),
      getJob: (id: string) => scheduler.getJob(id),
      listSchedules: () => scheduler.listSchedules(),
    } as unknown as Scheduler);
    const response = await call(broken, "GET", "/api/jobs");
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain("secret");
  });
});
