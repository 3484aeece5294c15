import { request as httpRequest } from "node:http";
import { createScheduler, type Scheduler } from "@sched/core";
import { unreadableRefusals } from "@sched/testing";
import express from "express";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit-log.js";
import { type AuditEntry, HIDDEN, REDACTED, serve, toNodeListener } from "../src/index.js";
import { call, FAKE_ASSETS, handlerFor, quiet, WRITE_TOKEN } from "./harness.js";

let scheduler: Scheduler;
let jobId: string;

beforeAll(async () => {
  scheduler = createScheduler({ logger: quiet });
  const job = await scheduler.enqueue({
    name: "charge",
    queue: "billing",
    payload: { user: { email: "a@b.c", name: "Ann" }, cards: [{ number: "4242", brand: "visa" }], amount: 5 },
  });
  jobId = job.id;
});

afterAll(async () => {
  await scheduler.stop();
});

describe("payloads", () => {
  it("are shown as stored by default", async () => {
    const job = (await call(handlerFor(scheduler), "GET", `/api/jobs/${jobId}`)).body;
    expect(job.payload.user.email).toBe("a@b.c");
  });

  it("are hidden with payloads: hide, in single jobs and in pages", async () => {
    const handler = handlerFor(scheduler, { payloads: "hide" });
    expect((await call(handler, "GET", `/api/jobs/${jobId}`)).body.payload).toBe(HIDDEN);
    expect((await call(handler, "GET", "/api/jobs?queue=billing")).body.jobs[0].payload).toBe(HIDDEN);
  });

  it("are left out of a page with ?payloads=hide, whatever the handler shows; a bad value is a 400", async () => {
    const page = await call(handlerFor(scheduler), "GET", "/api/jobs?queue=billing&payloads=hide");
    expect(page.status).toBe(200);
    expect(page.body.jobs.map((job: { payload: unknown }) => job.payload)).toEqual([HIDDEN]);
    const shown = await call(handlerFor(scheduler), "GET", "/api/jobs?queue=billing&payloads=show");
    expect(shown.body.jobs[0].payload.user.email).toBe("a@b.c");
    expect((await call(handlerFor(scheduler), "GET", "/api/jobs?payloads=none")).status).toBe(400);
  });

  it("are redacted by dot path, through arrays and with * for any key, without changing the stored job", async () => {
    const handler = handlerFor(scheduler, {
      payloads: { redact: ["user.email", "cards.number", "nothing.here"] },
    });
    const job = (await call(handler, "GET", `/api/jobs/${jobId}`)).body;
    expect(job.payload).toEqual({
      user: { email: REDACTED, name: "Ann" },
      cards: [{ number: REDACTED, brand: "visa" }],
      amount: 5,
    });
    const star = handlerFor(scheduler, { payloads: { redact: ["user.*"] } });
    expect((await call(star, "GET", `/api/jobs/${jobId}`)).body.payload.user).toEqual({
      email: REDACTED,
      name: REDACTED,
    });
    expect(((await scheduler.getJob(jobId))!.payload as { user: { email: string } }).user.email).toBe(
      "a@b.c",
    );
  });

  it("of schedules' job templates are hidden too", async () => {
    const s = createScheduler({ logger: quiet, queues: ["none"] });
    await s.start();
    try {
      await s.schedule("nightly", "0 3 * * *", () => {}, { payload: { secret: "s3" } });
      const handler = handlerFor(s, { payloads: "hide" });
      const [schedule] = (await call(handler, "GET", "/api/schedules")).body;
      expect(schedule.definition.job.payload).toBe(HIDDEN);
      expect((await call(handler, "GET", "/api/schedules/nightly")).body.definition.job.payload).toBe(HIDDEN);
    } finally {
      await s.stop();
    }
  });
});

describe("the audit log", () => {
  it("keeps the most recent entries, newest first, up to its capacity", () => {
    const log = new AuditLog(undefined, 3);
    for (let i = 0; i < 5; i++)
      log.record({ at: new Date(i), who: "ops", action: `a${i}`, target: "t", ok: true });
    expect(log.recent(10).map((entry) => entry.action)).toEqual(["a4", "a3", "a2"]);
    expect(log.recent(1).map((entry) => entry.action)).toEqual(["a4"]);
  });

  it("is served to write tokens, and a sink that throws or rejects fails no action", async () => {
    const seen: AuditEntry[] = [];
    let calls = 0;
    const throwing = handlerFor(scheduler, {
      audit: (entry) => {
        calls++;
        seen.push(entry);
        if (calls === 1) throw new Error("sink down");
        return Promise.reject(new Error("sink down"));
      },
    });
    expect((await call(throwing, "POST", "/api/queues/billing/pause")).status).toBe(200);
    expect((await call(throwing, "POST", "/api/queues/billing/resume")).status).toBe(200);
    const recent = (await call(throwing, "GET", "/api/audit?limit=1")).body;
    expect(recent).toEqual([
      { at: seen[1]!.at.toISOString(), who: "ops", action: "queue.resume", target: "billing", ok: true },
    ]);
  });
});

describe("the dashboard", () => {
  it("is served publicly from the asset map at / and /assets/*", async () => {
    const handler = handlerFor(scheduler);
    const index = await call(handler, "GET", "/", { token: null });
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(index.body).toContain("<title>dash</title>");
    const script = await call(handler, "GET", "/assets/app.js", { token: null });
    expect(script.body).toBe("console.log(1)");
    expect((await call(handler, "GET", "/assets/missing.js", { token: null })).status).toBe(404);
  });

  it("under a base path, / redirects to the trailing slash so relative links resolve", async () => {
    const handler = handlerFor(scheduler, { basePath: "/ops" });
    const redirect = await call(handler, "GET", "/ops", { token: null });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe("/ops/");
    expect((await call(handler, "GET", "/ops/", { token: null })).status).toBe(200);
    expect((await call(handler, "GET", "/ops/assets/app.js", { token: null })).status).toBe(200);
    expect((await call(handler, "GET", "/ops/api/session")).body.role).toBe("write");
    expect((await call(handler, "GET", "/api/session")).status).toBe(404);
  });

  it("answers 404 with a clear message when @sched/dashboard cannot be loaded", async () => {
    const handler = handlerFor(scheduler, { assets: () => Promise.reject(new Error("not built")) });
    const response = await call(handler, "GET", "/", { token: null });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("DASHBOARD_NOT_INSTALLED");
    expect(response.body.error.message).toContain("npm install @sched/dashboard");
  });

  it("is not served with dashboard: false", async () => {
    const handler = handlerFor(scheduler, { dashboard: false });
    expect((await call(handler, "GET", "/", { token: null })).status).toBe(404);
    expect(FAKE_ASSETS.size).toBe(2);
  });
});

describe("servers", () => {
  const get = (url: string, token = WRITE_TOKEN) =>
    fetch(url, { headers: { authorization: `Bearer ${token}` } });

  it("serve() runs the handler on its own Node server until closed", async () => {
    const server = await serve(handlerFor(scheduler), { port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const response = await get(`${server.url}/api/session`);
      expect(await response.json()).toEqual({ role: "write", name: "ops" });
      const big = await fetch(`${server.url}/api/jobs/delete`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_TOKEN}`, "content-type": "application/json" },
        body: "x".repeat(2 * 1024 * 1024),
      });
      expect(big.status).toBe(413);
    } finally {
      await server.close();
    }
    await expect(get(`${server.url}/api/session`)).rejects.toThrow();
  });

  it("serve()'s close() lets a request in flight finish, and cuts one past closeTimeout", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = 0;
    const slow = async (request: Request): Promise<Response> => {
      await gate;
      finished++;
      return new Response(new URL(request.url).pathname);
    };
    const server = await serve(slow, { port: 0, closeTimeout: 5_000 });
    const answer = fetch(`${server.url}/slow`).then((response) => response.text());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = server.close();
    setTimeout(release, 200);
    await closing;
    expect(await answer).toBe("/slow");
    expect(finished).toBe(1);
    await expect(fetch(`${server.url}/late`)).rejects.toThrow();

    let never = () => {};
    const hung = await serve(
      () =>
        new Promise<Response>((resolve) => {
          never = () => resolve(new Response("late"));
        }),
      { port: 0, closeTimeout: 100 },
    );
    const cut = fetch(`${hung.url}/`).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = hung.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Past closeTimeout the connection is cut; close() waits for the handler itself to return.
    expect(await cut).toBeInstanceOf(Error);
    never();
    await closed;
    await expect(serve(slow, { port: 0, closeTimeout: -1 })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    // Past one Node.js timer's longest wait, the wait would end at once.
    await expect(serve(slow, { port: 0, closeTimeout: 2_147_483_648 })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    // Options that throw when read: a ConfigError, never the caller's error, and no server.
    for (const [label, err] of await unreadableRefusals((options) => serve(slow, options), { port: 0 })) {
      expect(err, label).toMatchObject({ code: "CONFIG_INVALID" });
    }
  });

  it("serve() takes closeTimeout as a duration string, and its close() may be called again", async () => {
    const server = await serve(() => Promise.resolve(new Response("ok")), { port: 0, closeTimeout: "2s" });
    expect(await (await fetch(`${server.url}/`)).text()).toBe("ok");
    const first = server.close();
    const second = server.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await expect(server.close()).resolves.toBeUndefined();
    for (const closeTimeout of ["soon", "25d", "-1s"]) {
      await expect(
        serve(() => Promise.resolve(new Response("ok")), { port: 0, closeTimeout: closeTimeout as "1s" }),
      ).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    }
  });

  it("serve() and toNodeListener refuse a path with a . or .. segment (400 INVALID_PATH), so it never reaches another route", async () => {
    // fetch() and new Request() resolve dot segments themselves: the raw path is sent by hand.
    const raw = (url: string, method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const target = new URL(url);
        const req = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method,
            path,
            headers: { authorization: `Bearer ${WRITE_TOKEN}` },
          },
          (res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.end();
      });
    const server = await serve(handlerFor(scheduler), { port: 0 });
    const based = await serve(handlerFor(scheduler, { basePath: "/scheduler" }), { port: 0 });
    const app = express();
    app.use("/scheduler", toNodeListener(handlerFor(scheduler, { basePath: "/scheduler" })));
    const mounted = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => mounted.once("listening", resolve));
    const mountedUrl = `http://127.0.0.1:${(mounted.address() as { port: number }).port}`;
    try {
      for (const [url, method, path] of [
        [server.url, "POST", `/api/jobs/${jobId}/../../queues/billing/pause`],
        [server.url, "POST", "/api/jobs/x/%2e%2e/%2E%2E/queues/billing/pause"],
        [server.url, "GET", "/api/queues/.%2e/session"],
        [server.url, "GET", "/api/./session"],
        [mountedUrl, "POST", "/scheduler/api/jobs/x/../../queues/billing/pause"],
        [based.url, "GET", "/x/../scheduler/api/session"],
      ] as const) {
        const answer = await raw(url, method, path);
        expect(answer.status, path).toBe(400);
        expect(JSON.parse(answer.body).error.code, path).toBe("INVALID_PATH");
      }
      expect((await scheduler.getQueue("billing")).paused).toBe(false);
      // A dot inside a segment is no dot segment.
      expect((await raw(server.url, "GET", `/api/jobs/${jobId}`)).status).toBe(200);
      expect((await raw(server.url, "GET", "/api/queues/billing.v2")).status).toBe(404);
    } finally {
      await server.close();
      await based.close();
      await new Promise((resolve) => mounted.close(resolve));
    }
  });

  it("serve() refuses a bad port, an unknown option or no handler; toNodeListener no handler", async () => {
    await expect(serve(handlerFor(scheduler), { port: 70_000 })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
    await expect(serve(handlerFor(scheduler), { port: 0, hots: "0.0.0.0" } as never)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      field: "hots",
    });
    await expect(serve(handlerFor(scheduler), "x" as never)).rejects.toMatchObject({ field: "options" });
    await expect(serve("not a handler" as never, { port: 0 })).rejects.toMatchObject({ field: "handler" });
    expect(() => toNodeListener(42 as never)).toThrow(expect.objectContaining({ field: "handler" }));
  });

  it("mounts in Express under a path", async () => {
    const app = express();
    app.use("/scheduler", toNodeListener(handlerFor(scheduler, { basePath: "/scheduler" })));
    const listening = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => listening.once("listening", resolve));
    const { port } = listening.address() as { port: number };
    try {
      const response = await get(`http://127.0.0.1:${port}/scheduler/api/queues/billing`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { name: string }).name).toBe("billing");
      const paused = await fetch(`http://127.0.0.1:${port}/scheduler/api/queues/billing/pause`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      });
      expect(((await paused.json()) as { paused: boolean }).paused).toBe(true);
    } finally {
      await scheduler.resumeQueue("billing");
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });

  it("refuses, changing nothing, a body that a parser mounted ahead of it already read", async () => {
    const app = express();
    app.use(express.json());
    app.use("/scheduler", toNodeListener(handlerFor(scheduler, { basePath: "/scheduler" })));
    const listening = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => listening.once("listening", resolve));
    const { port } = listening.address() as { port: number };
    const before = await scheduler.getQueue("billing");
    try {
      const patched = await fetch(`http://127.0.0.1:${port}/scheduler/api/queues/billing`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${WRITE_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ concurrency: 7 }),
      });
      expect(patched.status).toBe(500);
      expect(((await patched.json()) as { error: { code: string } }).error.code).toBe("BODY_ALREADY_READ");
      expect(await scheduler.getQueue("billing")).toEqual(before);
      // Requests without a body still work behind the parser.
      const read = await get(`http://127.0.0.1:${port}/scheduler/api/queues/billing`);
      expect(read.status).toBe(200);
    } finally {
      listening.closeAllConnections();
      await new Promise((resolve) => listening.close(resolve));
    }
  });

  it("mounts in Fastify under a path", async () => {
    const app = Fastify();
    const listener = toNodeListener(handlerFor(scheduler, { basePath: "/scheduler" }));
    app.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/scheduler/") || request.url === "/scheduler") {
        reply.hijack();
        await listener(request.raw, reply.raw);
      }
    });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const response = await get(`${address}/scheduler/api/session`);
      expect(await response.json()).toEqual({ role: "write", name: "ops" });
      const body = await fetch(`${address}/scheduler/api/jobs/retry`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ queue: "billing" }),
      });
      expect(await body.json()).toEqual({ count: 0 });
    } finally {
      await app.close();
    }
  });
});
