import { ConfigError, createScheduler } from "@sched/core";
import { unreadableRefusals } from "@sched/testing";
import { describe, expect, it } from "vitest";
import { createHttpHandler, type HttpHandlerOptions } from "../src/index.js";
import { call, quiet, READ_TOKEN, WRITE_TOKEN } from "./harness.js";

const scheduler = createScheduler({ logger: quiet });

function refused(options: unknown): ConfigError {
  try {
    createHttpHandler(options as HttpHandlerOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("the handler was created");
}

describe("closed by default", () => {
  it("refuses options that throw when read with a ConfigError, never the caller's error", async () => {
    const base = { scheduler, auth: { tokens: { [READ_TOKEN]: "read" } } } as HttpHandlerOptions;
    for (const [label, err] of await unreadableRefusals((options) => createHttpHandler(options), base)) {
      expect(err, label).toBeInstanceOf(ConfigError);
      expect((err as Error).message, label).toMatch(/could not be read/);
    }
  });

  it("refuses to be created without an auth setting", () => {
    const err = refused({ scheduler });
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.field).toBe("auth");
    expect(err.message).toContain("closed by default");
  });

  it("refuses empty, short or malformed tokens and grants without quoting the token", () => {
    expect(refused({ scheduler, auth: { tokens: {} } }).field).toBe("auth.tokens");
    expect(refused({ scheduler, auth: {} }).field).toBe("auth.tokens");
    expect(refused({ scheduler, auth: { tokens: { short: "write" } } }).message).not.toContain("short");
    expect(refused({ scheduler, auth: { tokens: { "has spaces in this token": "read" } } }).field).toBe(
      "auth.tokens (token 1)",
    );
    expect(refused({ scheduler, auth: { tokens: { [WRITE_TOKEN]: "admin" } } }).message).toContain(
      "{ role, name }",
    );
    expect(refused({ scheduler, auth: { tokens: { [WRITE_TOKEN]: { role: "write" } } } }).message).toContain(
      "name",
    );
    expect(
      refused({ scheduler, auth: { tokens: { [WRITE_TOKEN]: { role: "write", name: "a", x: 1 } } } }).message,
    ).toContain("x");
    expect(refused({ scheduler, auth: { tokens: { [WRITE_TOKEN]: "write" }, users: [] } }).field).toBe(
      "auth",
    );
    expect(refused({ scheduler, auth: "open" }).field).toBe("auth");
  });

  it("refuses two tokens of one name, which the audit log could not tell apart", () => {
    const same = refused({
      scheduler,
      auth: {
        tokens: {
          [WRITE_TOKEN]: { role: "write", name: "ops" },
          [READ_TOKEN]: { role: "read", name: "ops" },
        },
      },
    });
    expect(same.field).toBe("auth.tokens (token 2)");
    expect(same.message).toContain('"ops" is token 1\'s too');
    // A given name that is another token's automatic one (token-<n>, its position).
    const automatic = refused({
      scheduler,
      auth: { tokens: { [WRITE_TOKEN]: "write", [READ_TOKEN]: { role: "read", name: "token-1" } } },
    });
    expect(automatic.message).toContain('"token-1"');
    expect(`${same.message}${automatic.message}`).not.toContain(WRITE_TOKEN);
  });

  it("refuses unknown options and malformed settings", () => {
    const auth = { tokens: { [WRITE_TOKEN]: "write" as const } };
    expect(refused({ scheduler, auth, open: true }).message).toContain("open");
    expect(refused({ auth }).field).toBe("scheduler");
    expect(refused({ scheduler, auth, basePath: "scheduler/" }).field).toBe("basePath");
    // A dot segment: serve() refuses every such path, so the handler could never be reached.
    expect(refused({ scheduler, auth, basePath: "/a/../b" }).field).toBe("basePath");
    expect(refused({ scheduler, auth, assets: new Map([["/index.html", "x"]]) }).field).toBe("assets");
    expect(refused({ scheduler, auth, payloads: "mask" }).field).toBe("payloads");
    expect(refused({ scheduler, auth, payloads: { redact: ["a..b"] } }).field).toBe("payloads.redact[0]");
    expect(refused({ scheduler, auth, cors: { origins: ["https://ops.example.com/path"] } }).field).toBe(
      "cors",
    );
    expect(refused({ scheduler, auth, cors: {} }).field).toBe("cors");
    expect(refused({ scheduler, auth, audit: "log" }).field).toBe("audit");
    expect(refused({ scheduler, auth, dashboard: "yes" }).field).toBe("dashboard");
    expect(refused({ scheduler, auth, assets: [] }).field).toBe("assets");
    expect(refused(null).field).toBe("options");
  });

  it("tells a token's role and name; a bare role is named by its position", async () => {
    const handler = createHttpHandler({
      scheduler,
      auth: { tokens: { [WRITE_TOKEN]: { role: "write", name: "ops" }, [READ_TOKEN]: "read" } },
    });
    expect((await call(handler, "GET", "/api/session")).body).toEqual({ role: "write", name: "ops" });
    expect((await call(handler, "GET", "/api/session", { token: READ_TOKEN })).body).toEqual({
      role: "read",
      name: "token-2",
    });
    expect((await call(handler, "GET", "/api/session", { token: `${READ_TOKEN}x` })).status).toBe(401);
    expect((await call(handler, "GET", "/api/session", { token: READ_TOKEN.slice(0, -1) })).status).toBe(401);
    const lower = await call(handler, "GET", "/api/session", {
      token: null,
      headers: { authorization: `bearer ${READ_TOKEN}` },
    });
    expect(lower.body.role).toBe("read");
  });

  it("sends no CORS headers unless origins are configured, then only for them", async () => {
    const auth = { tokens: { [WRITE_TOKEN]: "write" as const } };
    const closed = createHttpHandler({ scheduler, auth });
    const headers = { origin: "https://evil.example" };
    const plain = await call(closed, "GET", "/api/session", { headers });
    expect([...plain.headers.keys()].filter((key) => key.startsWith("access-control-"))).toEqual([]);
    const preflight = await call(closed, "OPTIONS", "/api/session", { headers, token: null });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();

    const open = createHttpHandler({ scheduler, auth, cors: { origins: ["https://ops.example.com"] } });
    const allowed = await call(open, "GET", "/api/session", {
      headers: { origin: "https://ops.example.com" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://ops.example.com");
    const other = await call(open, "GET", "/api/session", { headers });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await call(open, "OPTIONS", "/api/jobs", {
      token: null,
      headers: { origin: "https://ops.example.com", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-headers")).toContain("Authorization");
  });

  it("sends security headers and no caching on API answers", async () => {
    const handler = createHttpHandler({ scheduler, auth: { tokens: { [WRITE_TOKEN]: "write" } } });
    const response = await call(handler, "GET", "/api/session");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });
});
