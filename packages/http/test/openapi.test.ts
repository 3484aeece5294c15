import { createScheduler } from "@sched/core";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit-log.js";
import { TokenTable } from "../src/auth.js";
import { buildApp } from "../src/handler.js";
import { PayloadView } from "../src/payload-view.js";
import { call, handlerFor, quiet, READ_TOKEN, WRITE_TOKEN } from "./harness.js";

const scheduler = createScheduler({ logger: quiet });

/** The "METHOD /path" of every route the app registers, in OpenAPI's path syntax. */
function appRoutes(basePath: string, dashboard: boolean): string[] {
  const app = buildApp({
    basePath,
    tokens: new TokenTable({ tokens: { [WRITE_TOKEN]: "write" } }),
    deps: { scheduler, payloads: new PayloadView(), audit: new AuditLog(undefined) },
    origins: null,
    dashboard,
    assets: undefined,
  });
  const routes = app.routes
    .filter((route) => route.method !== "ALL")
    .map((route) => {
      let path = route.path.slice(basePath.length) || "/";
      if (path === "/" || path === "") path = "/";
      path = path.replace(/:(\w+)/g, "{$1}").replace(/\/\*$/, "/{path}");
      return `${route.method} ${path}`;
    });
  return [...new Set(routes)].sort();
}

function documentRoutes(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe("the OpenAPI document", () => {
  for (const [basePath, dashboard] of [
    ["", true],
    ["/scheduler", true],
    ["", false],
  ] as const) {
    it(`describes every route and only those (basePath "${basePath}", dashboard ${dashboard})`, async () => {
      const handler = handlerFor(scheduler, { basePath, dashboard });
      const response = await call(handler, "GET", `${basePath}/openapi.json`);
      expect(response.status).toBe(200);
      expect(response.body.openapi).toBe("3.1.0");
      expect(response.body.servers).toEqual([{ url: basePath || "/" }]);
      const routes = appRoutes(basePath, dashboard);
      expect(routes.length).toBeGreaterThan(20);
      expect(documentRoutes(response.body)).toEqual(routes);
    });
  }

  it("lists the error statuses the API answers: 403 for a read token at /api/audit, 503, 415 for bodies", async () => {
    const document = (await call(handlerFor(scheduler), "GET", "/openapi.json")).body;
    const responses = (path: string, method: string) => Object.keys(document.paths[path][method].responses);
    expect(responses("/api/audit", "get")).toContain("403");
    expect(responses("/api/queues", "get")).not.toContain("403");
    for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
      if (!path.startsWith("/api/")) continue;
      for (const method of Object.keys(methods)) {
        expect(responses(path, method), `${method} ${path}`).toEqual(
          expect.arrayContaining(["400", "401", "405", "503"]),
        );
      }
    }
    expect(responses("/api/queues/{name}", "patch")).toEqual(expect.arrayContaining(["403", "413", "415"]));
    // And the server does answer them.
    const read = await call(handlerFor(scheduler), "GET", "/api/audit", { token: READ_TOKEN });
    expect(read.status).toBe(403);
  });

  it("resolves every schema reference", async () => {
    const response = await call(handlerFor(scheduler), "GET", "/openapi.json");
    const refs = [...JSON.stringify(response.body).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(response.body.components.schemas[name], name).toBeDefined();
  });

  it("takes no query parameter: one is a 400 INVALID_QUERY, as on every route", async () => {
    const response = await call(handlerFor(scheduler), "GET", "/openapi.json?version=3.1");
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("INVALID_QUERY");
    expect(response.body.error.message).toContain("version");
  });
});
