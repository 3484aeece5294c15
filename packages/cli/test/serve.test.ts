import { MemoryStore } from "@sched/core";
import { describe, expect, it } from "vitest";
import { parseTokens } from "../src/commands/serve.js";
import { runInProcess } from "./fixture.js";

const TOKEN = "w-0123456789abcdef";
const env = { SCHEDULER_HTTP_TOKENS: `write:${TOKEN}`, SCHEDULER_HTTP_PORT: "0" };

describe("sched serve", () => {
  it("refuses to start without tokens (exit 2), never echoing a token", async () => {
    const none = await runInProcess(["serve"], { env: {} });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("SCHEDULER_HTTP_TOKENS");
    const bad = await runInProcess(["serve"], { env: { SCHEDULER_HTTP_TOKENS: "admin:short-secret" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toContain("short-secret");
  });

  it("parses role:token and name:role:token entries", () => {
    expect(parseTokens(`read:${TOKEN}, ops:write:${TOKEN}x`)).toEqual({
      [TOKEN]: "read",
      [`${TOKEN}x`]: { role: "write", name: "ops" },
    });
  });

  it("fails with a clear message when @sched/http is not installed", async () => {
    const missing = Object.assign(new Error("Cannot find package '@sched/http'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const result = await runInProcess(["serve"], {
      env,
      load: async () => {
        throw missing;
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("npm install @sched/http");
    const old = await runInProcess(["serve", "--json"], { env, load: async () => ({}) });
    expect(JSON.parse(old.stderr).error.code).toBe("HTTP_INCOMPATIBLE");
  });

  it("serves the handler of @sched/http with the tokens until stopped, then closes the server and the store", async () => {
    const store = new MemoryStore();
    const calls: unknown[] = [];
    let closed = false;
    const controller = new AbortController();
    const http = {
      createHttpHandler: (options: { scheduler: unknown; auth: unknown }) => {
        calls.push(options.auth);
        return () => new Response("ok");
      },
      serve: (_handler: unknown, options: { port: number; host: string }) => {
        calls.push(options);
        setTimeout(() => controller.abort(), 20);
        return {
          port: 41234,
          close: async () => {
            closed = true;
          },
        };
      },
    };
    const result = await runInProcess(["serve", "--host", "127.0.0.1"], {
      env,
      store,
      signal: controller.signal,
      load: async (name) => {
        expect(name).toBe("@sched/http");
        return http;
      },
    });
    expect(result.code).toBe(0);
    expect(calls).toEqual([{ tokens: { [TOKEN]: "write" } }, { port: 0, host: "127.0.0.1" }]);
    expect(result.stderr).toContain("serving the HTTP API and dashboard on http://127.0.0.1:41234");
    expect(result.stderr).not.toContain(TOKEN);
    expect(closed).toBe(true);
    expect((await runInProcess(["serve", "--port", "70000"], { env })).code).toBe(2);
    await store.close();
  });
});
