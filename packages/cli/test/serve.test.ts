import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "@sched/core";
import { describe, expect, it } from "vitest";
import { parseTokens } from "../src/commands/serve.js";
import { parseRedactPaths, serveSettings } from "../src/commands/serve-settings.js";
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

  it("refuses a token given twice, and two tokens of one name (exit 2), never echoing a token", async () => {
    // The last entry's grant won: a token also listed read-only could write.
    const twice = await runInProcess(["serve"], {
      env: { ...env, SCHEDULER_HTTP_TOKENS: `alice:write:${TOKEN},bob:read:${TOKEN}` },
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("entry 2 repeats the token of entry 1");
    expect(twice.stderr).not.toContain(TOKEN);
    // One name for two tokens (given twice, or a token's automatic name token-<n>): the audit log
    // could not tell them apart.
    for (const tokens of [`ops:write:${TOKEN},ops:read:${TOKEN}x`, `write:${TOKEN},token-1:read:${TOKEN}x`]) {
      const named = await runInProcess(["serve"], { env: { ...env, SCHEDULER_HTTP_TOKENS: tokens } });
      expect(named.code, tokens).toBe(2);
      expect(named.stderr, tokens).toContain("give each token a name of its own");
      expect(named.stderr, tokens).toContain("SCHEDULER_HTTP_TOKENS (entry 2): ");
      expect(named.stderr, tokens).not.toContain("auth.tokens");
      expect(named.stderr, tokens).not.toContain(TOKEN);
    }
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

  it("reads the payload and audit settings from flags over variables, naming the source of a bad value", () => {
    const base = { SCHEDULER_HTTP_TOKENS: `write:${TOKEN}` };
    expect(serveSettings({}, base)).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      payloads: "show",
      auditLog: null,
    });
    expect(
      serveSettings(
        { redact: " user.email, *.card ", auditLog: "a.jsonl" },
        { ...base, SCHEDULER_HTTP_REDACT: "other.field", SCHEDULER_HTTP_AUDIT_LOG: "b.jsonl" },
      ),
    ).toMatchObject({
      payloads: { redact: ["user.email", "*.card"] },
      payloadsFrom: "--redact",
      auditLog: "a.jsonl",
      auditLogFrom: "--audit-log",
    });
    expect(serveSettings({}, { ...base, SCHEDULER_HTTP_HIDE_PAYLOADS: "on" }).payloads).toBe("hide");
    // A port in decimal digits only: 4.7344e4 is no port someone typed on purpose.
    for (const port of ["4.7344e4", "0x1f90", " 80"]) {
      expect(() => serveSettings({ port }, base), port).toThrow(/expected an integer from 0 to 65535/);
    }
    expect(serveSettings({ port: "8081" }, base).port).toBe(8081);
    expect(serveSettings({}, { ...base, SCHEDULER_HTTP_HIDE_PAYLOADS: "off" }).payloads).toBe("show");
    // Hiding and redacting contradict each other from any mix of flags and variables.
    expect(() =>
      serveSettings({ redact: "user.email" }, { ...base, SCHEDULER_HTTP_HIDE_PAYLOADS: "true" }),
    ).toThrow(/^SCHEDULER_HTTP_HIDE_PAYLOADS and --redact contradict/);
    expect(() => serveSettings({ hidePayloads: true }, { ...base, SCHEDULER_HTTP_REDACT: "a" })).toThrow(
      /^--hide-payloads and SCHEDULER_HTTP_REDACT contradict/,
    );
    expect(
      serveSettings({ redact: "a" }, { ...base, SCHEDULER_HTTP_HIDE_PAYLOADS: "false" }).payloads,
    ).toEqual({ redact: ["a"] });
    expect(serveSettings({}, { ...base, SCHEDULER_HTTP_REDACT: "a,b.c" })).toMatchObject({
      payloads: { redact: ["a", "b.c"] },
      payloadsFrom: "SCHEDULER_HTTP_REDACT",
    });
    expect(() => serveSettings({}, { ...base, SCHEDULER_HTTP_HIDE_PAYLOADS: "maybe" })).toThrow(
      /^SCHEDULER_HTTP_HIDE_PAYLOADS: expected true or false/,
    );
    expect(() => serveSettings({ host: " " }, base)).toThrow(/^--host: /);
    expect(() => serveSettings({ auditLog: " " }, base)).toThrow(/^--audit-log: /);
    expect(() => parseRedactPaths(" , ", "--redact")).toThrow(/^--redact: expected comma-separated/);
    expect(() => parseRedactPaths("a,,b", "SCHEDULER_HTTP_REDACT")).toThrow(/^SCHEDULER_HTTP_REDACT: "" /);
  });

  it("hands the payload setting and an audit sink to @sched/http; the sink appends JSON lines to the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sched-serve-"));
    const file = join(dir, "audit.jsonl");
    const store = new MemoryStore();
    const controller = new AbortController();
    let options: { payloads?: unknown; audit?: (entry: unknown) => unknown } = {};
    const http = {
      createHttpHandler: (given: typeof options) => {
        options = given;
        return () => new Response("ok");
      },
      serve: () => {
        options.audit?.({ at: new Date(0), who: "ops", action: "queue.pause", target: "a", ok: true });
        options.audit?.({ at: new Date(1), who: "ops", action: "queue.resume", target: "a", ok: true });
        setTimeout(() => controller.abort(), 20);
        return { url: "http://127.0.0.1:1", close: async () => {} };
      },
    };
    try {
      const result = await runInProcess(["serve", "--hide-payloads", "--audit-log", file], {
        env,
        store,
        signal: controller.signal,
        load: async () => http,
      });
      expect(result.code).toBe(0);
      expect(options.payloads).toBe("hide");
      expect(
        readFileSync(file, "utf8")
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line).action),
      ).toEqual(["queue.pause", "queue.resume"]);
      // A bad setting @sched/http refuses names where it came from.
      const refusing = {
        ...http,
        createHttpHandler: () => {
          throw Object.assign(new Error("payloads.redact[0]: bad path"), { field: "payloads.redact[0]" });
        },
      };
      const refused = await runInProcess(["serve", "--redact", "a"], {
        env,
        store,
        load: async () => refusing,
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe("sched: --redact: bad path");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  });
});
