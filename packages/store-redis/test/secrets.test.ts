import { createScheduler } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { uniquePrefix } from "./helpers.js";

// A server of this file's own with a password (requirepass, the `default` user) and an ACL user.
// The passwords hold characters a URL must encode, so both forms are looked for.
const PASSWORD = "s3cret:p@ss/w%rd";
const ACL_USER = "sched-app";
const ACL_PASSWORD = "acl-P@ss#w0rd!";
const server = new PrivateRedis({ password: PASSWORD });
let admin: Redis;

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url, { lazyConnect: true });
  admin.on("error", () => {});
  await admin.call("ACL", "SETUSER", ACL_USER, "on", `>${ACL_PASSWORD}`, "~*", "&*", "+@all");
});

afterAll(async () => {
  admin?.disconnect();
  await server.remove();
});

/** A URL of the private server logging in as `user` (empty: the default user) with `password`. */
function urlOf(user: string, password: string): string {
  return `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
}

/** Every text a secret must not appear in: the forms it may take. */
function formsOf(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  return [...forms];
}

/**
 * Every string reachable from `value`: an error's message, stack and name, its cause chain and
 * every enumerable property of each (as `command.args` of an ioredis reply error), arrays, plain
 * objects and buffers; with the path that leads to each.
 */
function stringsOf(
  value: unknown,
  path = "error",
  seen = new Set<unknown>(),
  depth = 0,
): Array<[string, string]> {
  if (typeof value === "string") return [[path, value]];
  if (value === null || typeof value !== "object" || seen.has(value) || depth > 8) return [];
  seen.add(value);
  if (Buffer.isBuffer(value)) return [[path, value.toString("utf8")]];
  const found: Array<[string, string]> = [];
  if (value instanceof Error) {
    found.push(
      [`${path}.message`, value.message],
      [`${path}.stack`, value.stack ?? ""],
      [`${path}.name`, value.name],
    );
    found.push(...stringsOf(value.cause, `${path}.cause`, seen, depth + 1));
    if (value instanceof AggregateError)
      found.push(...stringsOf(value.errors, `${path}.errors`, seen, depth + 1));
  }
  for (const [key, inner] of Object.entries(value))
    found.push(...stringsOf(inner, `${path}.${key}`, seen, depth + 1));
  return found;
}

/** Fails naming where a secret was found in `value`. */
function expectNoSecret(value: unknown, secrets: readonly string[], label: string): void {
  const forms = formsOf(secrets);
  for (const [path, text] of stringsOf(value, label)) {
    for (const form of forms) expect(text.includes(form), `${path} holds a secret: ${text}`).toBe(false);
  }
}

async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

describe("no secret in any error, cause chain or log of RedisStore", () => {
  const cases: Array<[string, () => { store: RedisStore; secrets: string[]; done?: () => void }]> = [
    [
      "a wrong password of the default user in the URL",
      () => {
        const url = urlOf("", "wrong:p@ss/word");
        return {
          store: new RedisStore({ url, keyPrefix: uniquePrefix("s") }),
          secrets: [url, "wrong:p@ss/word"],
        };
      },
    ],
    [
      "a wrong user in the URL",
      () => {
        const url = urlOf("nobody-here", PASSWORD);
        return { store: new RedisStore({ url, keyPrefix: uniquePrefix("s") }), secrets: [url, PASSWORD] };
      },
    ],
    [
      "an ACL user with a wrong password in the URL",
      () => {
        const url = urlOf(ACL_USER, "not-the-acl-pw!");
        return {
          store: new RedisStore({ url, keyPrefix: uniquePrefix("s") }),
          secrets: [url, "not-the-acl-pw!"],
        };
      },
    ],
    [
      "an ACL user with a wrong password in a URL encoded by hand (not by encodeURIComponent)",
      () => {
        const url = `redis://${ACL_USER}:p%40ss%3Aword@127.0.0.1:${server.port}`;
        return {
          store: new RedisStore({ url, keyPrefix: uniquePrefix("s") }),
          secrets: [url, "p@ss:word", "p%40ss%3Aword"],
        };
      },
    ],
    [
      "a wrong password option of a client passed in",
      () => {
        const client = new Redis({
          port: server.port,
          host: "127.0.0.1",
          password: "client-wrong-pw",
          maxRetriesPerRequest: 1,
        });
        client.on("error", () => {});
        return {
          store: new RedisStore({ client, keyPrefix: uniquePrefix("s") }),
          secrets: ["client-wrong-pw"],
          done: () => client.disconnect(),
        };
      },
    ],
    [
      "a wrong username and password options of a client passed in",
      () => {
        const client = new Redis({
          port: server.port,
          host: "127.0.0.1",
          username: ACL_USER,
          password: "client-acl-wrong",
          maxRetriesPerRequest: 1,
        });
        client.on("error", () => {});
        return {
          store: new RedisStore({ client, keyPrefix: uniquePrefix("s") }),
          secrets: ["client-acl-wrong"],
          done: () => client.disconnect(),
        };
      },
    ],
  ];

  it.each(cases)("%s: neither the store's errors nor the scheduler's", async (_label, open) => {
    const { store, secrets, done } = open();
    const logger = recordingLogger();
    const scheduler = createScheduler({ store, logger });
    try {
      for (const call of [
        () => store.ping(),
        () => store.epoch(),
        () => store.getJob("x"),
        () => store.stats(),
      ]) {
        const error = await rejectionOf(call);
        expect(error).toMatchObject({ code: "STORE_ERROR" });
        expectNoSecret(error, secrets, "error");
      }
      const failedStart = await rejectionOf(() => scheduler.start());
      expectNoSecret(failedStart, secrets, "start()");
      expectNoSecret(logger.lines, secrets, "log");
    } finally {
      await scheduler.stop();
      await store.close();
      done?.();
    }
  });

  it("a password changed under a running scheduler: the failures logged and thrown name no secret", async () => {
    const user = `rotating-${Date.now()}`;
    const password = "old-p@ss:word";
    await admin.call("ACL", "SETUSER", user, "reset", "on", `>${password}`, "~*", "&*", "+@all");
    const url = urlOf(user, password);
    const store = new RedisStore({ url, keyPrefix: uniquePrefix("rotating") });
    const logger = recordingLogger();
    const scheduler = createScheduler({ store, logger, pollInterval: "50ms" });
    scheduler.register("work", async () => {});
    await scheduler.start();
    try {
      // The password is rotated and the user's connections dropped: they log in again and fail.
      await admin.call("ACL", "SETUSER", user, "resetpass", ">new-password-1");
      await admin.call("CLIENT", "KILL", "USER", user);
      await waitFor(() => logger.lines.some((line) => line.level === "error"), {
        timeout: "5s",
        description: "the scheduler to log the failure",
      });
      const error = await rejectionOf(() => scheduler.enqueue({ name: "work" }));
      expect(error).toMatchObject({ code: "STORE_ERROR" });
      expectNoSecret(error, [url, password], "enqueue()");
      expectNoSecret(logger.lines, [url, password], "log");
    } finally {
      await scheduler.stop({ timeout: 0 });
      await store.close();
      await admin.call("ACL", "DELUSER", user);
    }
  });
});

describe("no Sentinel secret in a description or an error of a client made through Sentinels", () => {
  it("describeServer names the primary and its Sentinels, and lists both passwords as secrets", async () => {
    const { describeServer, storeError } = await import("../src/connection/index.js");
    const client = new Redis({
      sentinels: [
        { host: "10.0.0.1", port: 26379 },
        { host: "::1", port: 26380 },
      ],
      name: "mymaster",
      password: PASSWORD,
      sentinelPassword: ACL_PASSWORD,
      lazyConnect: true,
    });
    try {
      const server = describeServer(client, undefined);
      expect(server.address).toBe('primary "mymaster" via Sentinel 10.0.0.1:26379,[::1]:26380');
      expect(server.secrets).toEqual(expect.arrayContaining([PASSWORD, ACL_PASSWORD]));
      const driverError = Object.assign(new Error(`WRONGPASS for ${ACL_PASSWORD} and ${PASSWORD}`), {
        command: { name: "auth", args: [ACL_PASSWORD] },
      });
      const error = storeError(driverError, "ping", {
        server: () => server,
        lastConnectionError: () => undefined,
      });
      expect(error.message).toContain('primary "mymaster" via Sentinel');
      expectNoSecret(error, [PASSWORD, ACL_PASSWORD], "error");
    } finally {
      client.disconnect();
    }
  });
});
