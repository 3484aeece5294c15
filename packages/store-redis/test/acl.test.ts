import { randomBytes } from "node:crypto";
import { createScheduler, type Job, StoreError } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import { afterAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { adminClient, deleteKeys, keysOf, REDIS_URL, uniquePrefix } from "./helpers.js";

/** The commands the README's ACL section lists: what the store sends, in and outside its scripts. */
const COMMANDS = [
  "evalsha",
  "eval",
  "ping",
  "info",
  "subscribe",
  "publish",
  "exists",
  "del",
  "expire",
  "persist",
  "hget",
  "hmget",
  "hset",
  "hdel",
  "hgetall",
  "hincrby",
  "sadd",
  "srem",
  "smembers",
  "smismember",
  "sscan",
  "zadd",
  "zrem",
  "zrange",
  "zrangebyscore",
  "zcount",
  "zcard",
];

const admin = adminClient();
const users: string[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  for (const user of users) await admin.call("ACL", "DELUSER", user);
  for (const prefix of prefixes) await deleteKeys(admin, prefix);
  await admin.quit();
});

/**
 * Creates a Redis user of the test server with a random name and password, allowed the `rules`
 * (key and channel patterns) and `commands`, and returns a URL that logs in as it.
 */
async function userUrl(rules: readonly string[], commands: readonly string[] = COMMANDS): Promise<string> {
  const name = `sched-test-${randomBytes(5).toString("hex")}`;
  const password = randomBytes(12).toString("hex");
  users.push(name);
  await admin.call(
    "ACL",
    "SETUSER",
    name,
    "reset",
    "on",
    `>${password}`,
    ...rules,
    ...commands.map((command) => `+${command}`),
  );
  const url = new URL(REDIS_URL);
  url.username = name;
  url.password = password;
  return url.toString();
}

function newPrefix(label: string): string {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  return prefix;
}

describe("a Redis user limited by ACL", () => {
  it("limited to ~<prefix>* and &<prefix>* with the listed commands, runs jobs, dead letters, cancels and schedules", async () => {
    const keyPrefix = newPrefix("acl-ok");
    const url = await userUrl([`~${keyPrefix}*`, `&${keyPrefix}*`]);
    const store = new RedisStore({ url, keyPrefix });
    const peer = new RedisStore({ url, keyPrefix });
    const s = createScheduler({ store, logger: recordingLogger(), retry: { maxAttempts: 1 } });
    const operator = createScheduler({ store: peer, logger: recordingLogger() });
    const ran: number[] = [];
    const deadLettered: string[] = [];
    let ticks = 0;
    let aborted = false;
    s.register("work", async (job: Job<{ n: number }>) => {
      ran.push(job.payload.n);
    });
    s.register("broken", () => {
      throw new Error("always");
    });
    s.register("dead", (dead) => {
      deadLettered.push(dead.id);
    });
    s.register("long", (_job, ctx) => {
      return new Promise<void>((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
          reject(ctx.signal.reason);
        });
      });
    });
    try {
      await s.schedule("tick", "* * * * * *", () => {
        ticks++;
      });
      await s.start();
      await s.enqueueMany([1, 2, 3].map((n) => ({ name: "work", payload: { n } })));
      const broken = await s.enqueue({ name: "broken" });
      const long = await s.enqueue({ name: "long" });
      await waitFor(async () => (await peer.getJob(long.id))?.status === "running", {
        timeout: "10s",
        description: "the long job to start",
      });
      await operator.cancel(long.id);
      await waitFor(() => ran.length === 3 && deadLettered.length === 1 && aborted && ticks > 0, {
        timeout: "10s",
        description: "the jobs, the dead letter, the pushed cancel and a tick",
      });
      expect(deadLettered).toEqual([broken.id]);
      expect((await operator.stats()).dead).toBe(1);
      expect((await operator.listJobs({ name: "work" })).jobs.length).toBe(3);
      expect(await operator.cancel(broken.id)).toMatchObject({ status: "dead" });
      const far = new Date(Date.now() + 86_400_000);
      await s.stop({ timeout: 0 });
      expect(
        await peer.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far }),
      ).toBeGreaterThan(5);
    } finally {
      await s.stop({ timeout: 0 });
      await Promise.all([store.close(), peer.close()]);
    }
    // The rights cover every key the store wrote.
    expect((await keysOf(admin, keyPrefix)).length).toBeGreaterThan(0);
  });

  it("limited to another prefix: start() fails with a StoreError naming the prefix and the server's NOPERM", async () => {
    const keyPrefix = newPrefix("acl-other");
    const other = uniquePrefix("acl-elsewhere");
    const url = await userUrl([`~${other}*`, `&${other}*`]);
    const store = new RedisStore({ url, keyPrefix });
    const s = createScheduler({ store, logger: recordingLogger() });
    const error = await s.start().then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreError);
    const message = (error as StoreError).message;
    expect(message).toContain(`keyPrefix "${keyPrefix}"`);
    expect(message).toContain("NOPERM");
    expect(message).toContain(`~${keyPrefix}* and the channels &${keyPrefix}*`);
    expect(message).not.toContain(new URL(url).password);
    expect(s.status).toBe("idle");
    await s.stop();
    await store.close();
  });

  it("with its keys but not its channel: ping fails naming the channel it cannot publish on", async () => {
    const keyPrefix = newPrefix("acl-nochannel");
    const url = await userUrl([`~${keyPrefix}*`]);
    const store = new RedisStore({ url, keyPrefix });
    await expect(store.ping()).rejects.toThrow(
      expect.objectContaining({
        code: "STORE_ERROR",
        message: expect.stringMatching(new RegExp(`keyPrefix "${keyPrefix}".*can't publish to the channel`)),
      }),
    );
    await store.close();
  });

  it("without a command it needs: ping fails naming the command", async () => {
    const keyPrefix = newPrefix("acl-nopublish");
    const url = await userUrl(
      [`~${keyPrefix}*`, `&${keyPrefix}*`],
      COMMANDS.filter((command) => command !== "evalsha" && command !== "eval"),
    );
    const store = new RedisStore({ url, keyPrefix });
    await expect(store.ping()).rejects.toThrow(/keyPrefix ".*NOPERM.*'evalsha' command/);
    await store.close();
  });
});
