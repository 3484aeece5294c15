import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisLeader } from "../src/index.js";
import { uniqueName } from "./redis.js";

// A server of this file's own with a password (requirepass, the `default` user) and an ACL user.
// The passwords hold characters a URL must encode, so both forms are looked for.
const PASSWORD = "s3cret:p@ss/w%rd";
const ACL_USER = "sched-leader";
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

function urlOf(user: string, password: string): string {
  return `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
}

/**
 * Every string reachable from `value`: an error's message, stack and name, its cause chain and
 * every enumerable property of each (as `command.args` of an ioredis reply error), arrays and plain
 * objects; with the path that leads to each.
 */
function stringsOf(
  value: unknown,
  path: string,
  seen = new Set<unknown>(),
  depth = 0,
): Array<[string, string]> {
  if (typeof value === "string") return [[path, value]];
  if (value === null || typeof value !== "object" || seen.has(value) || depth > 8) return [];
  seen.add(value);
  const found: Array<[string, string]> = [];
  if (value instanceof Error) {
    found.push([`${path}.message`, value.message], [`${path}.stack`, value.stack ?? ""]);
    found.push(...stringsOf(value.cause, `${path}.cause`, seen, depth + 1));
  }
  for (const [key, inner] of Object.entries(value))
    found.push(...stringsOf(inner, `${path}.${key}`, seen, depth + 1));
  return found;
}

function expectNoSecret(value: unknown, secrets: readonly string[], label: string): void {
  const forms = new Set(secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]));
  for (const [path, text] of stringsOf(value, label)) {
    for (const form of forms) expect(text.includes(form), `${path} holds a secret: ${text}`).toBe(false);
  }
}

describe("no secret in any error, cause chain or log of RedisLeader", () => {
  const cases: Array<
    [
      string,
      () => { options: ConstructorParameters<typeof RedisLeader>[0]; secrets: string[]; done?: () => void },
    ]
  > = [
    [
      "a wrong password of the default user in the URL",
      () => ({
        options: { url: urlOf("", "wrong:p@ss/word") },
        secrets: [urlOf("", "wrong:p@ss/word"), "wrong:p@ss/word"],
      }),
    ],
    [
      "a wrong user in the URL",
      () => ({
        options: { url: urlOf("nobody-here", PASSWORD) },
        secrets: [urlOf("nobody-here", PASSWORD), PASSWORD],
      }),
    ],
    [
      "an ACL user with a wrong password in the URL",
      () => ({
        options: { url: urlOf(ACL_USER, "not-the-acl-pw!") },
        secrets: [urlOf(ACL_USER, "not-the-acl-pw!"), "not-the-acl-pw!"],
      }),
    ],
    [
      "an ACL user with a wrong password in a URL encoded by hand",
      () => {
        const url = `redis://${ACL_USER}:p%40ss%3Aword@127.0.0.1:${server.port}`;
        return { options: { url }, secrets: [url, "p@ss:word", "p%40ss%3Aword"] };
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
        return { options: { client }, secrets: ["client-wrong-pw"], done: () => client.disconnect() };
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
        return { options: { client }, secrets: ["client-acl-wrong"], done: () => client.disconnect() };
      },
    ],
  ];

  it.each(cases)("%s: neither what it logs nor what it throws", async (_label, open) => {
    const { options, secrets, done } = open();
    const logger = recordingLogger();
    const leader = new RedisLeader({ ...options, name: uniqueName(), logger });
    try {
      for (let i = 0; i < 3; i++) expect(await leader.acquire()).toBe(false);
      expect(logger.lines.length).toBeGreaterThan(0);
      expectNoSecret(logger.lines, secrets, "log");
      let error: unknown = null;
      try {
        await leader.release();
      } catch (err) {
        error = err;
      }
      // A release may have nothing to free (no token was ever written); when it fails, it is clean.
      if (error !== null) {
        expect(error).toMatchObject({ code: "STORE_ERROR" });
        expectNoSecret(error, secrets, "release()");
      }
    } finally {
      await leader.close();
      done?.();
    }
  });

  it("the failure a release reports after a lost connection names no secret", async () => {
    const client = new Redis({
      port: server.port,
      host: "127.0.0.1",
      password: PASSWORD,
      maxRetriesPerRequest: 1,
    });
    client.on("error", () => {});
    const leader = new RedisLeader({ client, name: uniqueName(), logger: recordingLogger() });
    try {
      expect(await leader.acquire()).toBe(true);
      // The password changes and the connection drops: the client logs in again with the old one.
      await admin.config("SET", "requirepass", "rotated-password");
      await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      let error: unknown = null;
      try {
        await leader.release();
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: "STORE_ERROR" });
      expectNoSecret(error, [PASSWORD], "release()");
    } finally {
      await admin.config("SET", "requirepass", PASSWORD);
      await leader.close();
      client.disconnect();
    }
  });
});
