import { createScheduler, type Job, StoreError } from "@sched/core";
import { PrivateRedis } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { newJob, uniquePrefix } from "./helpers.js";

// A server of this file's own, on a free port, so that it can be killed, restarted empty and have
// its clients killed without disturbing anything else on the shared development server.
const server = new PrivateRedis();
let admin: Redis;

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: null });
  admin.on("error", () => {});
});

afterAll(async () => {
  admin?.disconnect();
  await server.remove();
});

describe("bad configuration", () => {
  it("an invalid key prefix is a ConfigError naming keyPrefix and the value", () => {
    for (const keyPrefix of ["", "has space", "{tag}", "x".repeat(101), "ünïcode"]) {
      expect(() => new RedisStore({ url: server.url, keyPrefix })).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", field: "keyPrefix" }),
      );
    }
    expect(() => new RedisStore({ keyPrefix: "a+b" })).toThrow(/keyPrefix: .*got "a\+b"/);
    // A URL that every object inherits (a polluted Object.prototype) is refused.
    (Object.prototype as Record<string, unknown>).url = "redis://10.9.9.9:6379";
    try {
      expect(() => new RedisStore({})).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID", field: "url" }),
      );
    } finally {
      delete (Object.prototype as Record<string, unknown>).url;
    }
    // A connection string put where the prefix goes is described, never quoted.
    expect(() => new RedisStore({ keyPrefix: "redis://:hunter2@cache:6379" })).toThrow(
      /^keyPrefix: .*got a string of 27 characters$/,
    );
  });

  it("both a client and a url, a db with a client, or a bad url are ConfigErrors", () => {
    expect(() => new RedisStore({ client: admin, url: server.url })).toThrow(
      expect.objectContaining({ field: "client" }),
    );
    expect(() => new RedisStore({ client: admin, db: 1 })).toThrow(expect.objectContaining({ field: "db" }));
    expect(() => new RedisStore({ url: "http://x" })).toThrow(expect.objectContaining({ field: "url" }));
    expect(() => new RedisStore({ url: "not a url" })).toThrow(expect.objectContaining({ field: "url" }));
    expect(() => new RedisStore({ url: server.url, db: -1 })).toThrow(
      expect.objectContaining({ field: "db" }),
    );
    expect(() => new RedisStore({ client: {} as Redis })).toThrow(
      expect.objectContaining({ field: "client" }),
    );
  });
});

describe("a server that cannot be reached", () => {
  it("a refused connection is a StoreError naming host:port and never the password", async () => {
    const store = new RedisStore({
      url: "redis://:s3cret-pw@127.0.0.1:1/0",
      keyPrefix: uniquePrefix("refused"),
    });
    const error = await store.ping().then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("STORE_ERROR");
    expect((error as StoreError).message).toContain("127.0.0.1:1");
    expect((error as StoreError).message).not.toContain("s3cret-pw");
    await expect(
      store.claimDueJobs({
        queues: ["q"],
        names: null,
        limit: 1,
        now: new Date(),
        lockedUntil: new Date(),
        workerId: "w",
      }),
    ).rejects.toMatchObject({ code: "STORE_ERROR" });
    await store.close();
  });
});

describe("faults of a running server", () => {
  it("a Redis that restarts empty: the scheduler logs a clear error, scripts reload, and jobs run again", async () => {
    const logger = recordingLogger();
    const errors = (): string[] =>
      logger.lines
        .filter((line) => line.level === "error")
        .map((line) => `${line.message} ${String(line.fields?.error ?? "")}`);
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("restart") });
    const scheduler = createScheduler({ store, logger, pollInterval: "50ms", workers: 5 });
    const ran: number[] = [];
    scheduler.register("work", async (job: Job<{ n: number }>) => {
      ran.push(job.payload.n);
    });
    await scheduler.start();
    await scheduler.enqueue({ name: "work", payload: { n: 1 } });
    await waitFor(() => ran.includes(1), { timeout: "10s", description: "the first job" });

    await server.kill();
    await waitFor(() => errors().some((e) => /claiming jobs failed/.test(e)), {
      timeout: "10s",
      description: "the scheduler to log the lost server",
    });
    expect(errors().some((e) => e.includes(`127.0.0.1:${server.port}`))).toBe(true);

    await server.start();
    expect(await admin.dbsize()).toBe(0);
    // The script cache is empty too: the store sends the scripts again (NOSCRIPT → EVAL).
    await waitFor(
      async () => {
        try {
          await scheduler.enqueue({ name: "work", payload: { n: 2 } });
          return true;
        } catch {
          return false;
        }
      },
      { timeout: "10s", description: "an enqueue to succeed again" },
    );
    await waitFor(() => ran.includes(2), { timeout: "10s", description: "a job enqueued after the restart" });
    await scheduler.stop();
    await store.close();
  });

  it("after CLIENT KILL of the store's connections, calls work and the event connection subscribes again", async () => {
    const keyPrefix = uniquePrefix("kill");
    const store = new RedisStore({ url: server.url, keyPrefix });
    const producer = new RedisStore({ url: server.url, keyPrefix });
    const woken: string[] = [];
    let connected = 0;
    const unsubscribe = store.subscribe((event) => {
      if (event.type === "jobs") woken.push(event.queue);
      if (event.type === "connected") connected++;
    });
    // The producer is another store: its first event may come before the SUBSCRIBE lands, so
    // probe until one is heard.
    await waitFor(
      async () => {
        await producer.createJobs([newJob({ queue: "before" })]);
        return woken.includes("before");
      },
      { timeout: "10s", interval: "100ms", description: "an event before the kill" },
    );

    // The first SUBSCRIBE is no comeback.
    expect(connected).toBe(0);

    await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    // Once subscribed again, the listeners hear that events may have been lost.
    await waitFor(() => connected === 1, { timeout: "5s", description: "the connected event" });
    await expect(store.ping()).resolves.toBeUndefined();
    expect(
      await store.claimDueJobs({
        queues: null,
        names: null,
        limit: 10,
        now: new Date("2031-01-01"),
        lockedUntil: new Date("2031-01-02"),
        workerId: "w",
      }),
    ).not.toHaveLength(0);
    // Events published before the connection has subscribed again are lost (polling covers them).
    await waitFor(
      async () => {
        await producer.createJobs([newJob({ queue: "after" })]);
        return woken.includes("after");
      },
      { timeout: "10s", interval: "100ms", description: "an event after the kill" },
    );
    unsubscribe();
    await Promise.all([store.close(), producer.close()]);
  });
});

describe("scripts", () => {
  it("are sent once and then called by SHA; after SCRIPT FLUSH they are sent again", async () => {
    const store = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("scripts") });
    await admin.config("RESETSTAT");
    await admin.script("FLUSH");
    for (let i = 0; i < 5; i++) await store.createJobs([newJob()]);
    const stats = await admin.info("commandstats");
    const calls = (command: string): number =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls("evalsha")).toBe(5);
    expect(calls("eval")).toBe(1);

    await admin.script("FLUSH");
    expect(await store.createJobs([newJob()])).toHaveLength(1);
    expect((await store.listJobs({})).jobs.length).toBe(6);
    await store.close();
  });
});

describe("clients", () => {
  it("a client passed in stays open after close(); one made from the url is closed", async () => {
    const user = new Redis(server.url);
    const shared = new RedisStore({ client: user, keyPrefix: uniquePrefix("owned") });
    await shared.ping();
    shared.subscribe(() => {});
    await shared.close();
    expect(await user.ping()).toBe("PONG");
    await user.quit();

    const own = new RedisStore({ url: server.url, keyPrefix: uniquePrefix("owned") });
    await own.ping();
    await own.close();
    expect(["close", "end"]).toContain(own.redis.status);
    await expect(own.ping()).rejects.toMatchObject({ code: "STORE_CLOSED" });

    const never = new RedisStore({ url: server.url });
    await never.close();
    expect(["close", "end"]).toContain(never.redis.status);
  });
});
