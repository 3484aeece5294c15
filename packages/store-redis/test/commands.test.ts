import type { StoreEvent } from "@sched/core/adapter";
import { PrivateRedis } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { CommandMonitor } from "./command-monitor.js";
import { newJob, uniquePrefix } from "./helpers.js";

// A server of this file's own, watched with MONITOR: what each store call sends is read from the
// commands the server received from the store's connection (commands run by a script show as
// coming from "lua", and are not counted: they are part of the one command that ran the script).
const server = new PrivateRedis();
let admin: Redis;
let monitor: CommandMonitor;
const stores: RedisStore[] = [];

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url);
  monitor = new CommandMonitor(server.url);
  await monitor.start();
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

afterAll(async () => {
  monitor?.stop();
  await admin?.quit();
  await server.remove();
});

function open(keyPrefix = uniquePrefix("commands")): RedisStore {
  const store = new RedisStore({ url: server.url, keyPrefix });
  stores.push(store);
  return store;
}

/**
 * Runs every script the tests call once, from a store of its own, so that the server has them
 * cached: a first call of a script on a server is an `EVALSHA` refused with `NOSCRIPT`, then an
 * `EVAL`.
 */
async function loadScripts(): Promise<void> {
  const store = open();
  await store.createJobs([newJob({ queue: "warm-up" })]);
  await store.createDedupedJob(
    newJob({ queue: "warm-up" }),
    { mode: "throttle", key: "k", ttl: 1_000, maxWait: null },
    new Date(),
  );
  await store.updateQueue("warm-up", { paused: false }, new Date());
  await store.claimDueJobs(claimOf("warm-up"));
}

function claimOf(queue: string): Parameters<RedisStore["claimDueJobs"]>[0] {
  const now = Date.now();
  return {
    queues: [queue],
    names: ["test-job"],
    limit: 10,
    now: new Date(now + 1_000),
    lockedUntil: new Date(now + 60_000),
    workerId: "w",
  };
}

describe("what an enqueue and a claim cost on Redis", () => {
  beforeAll(async () => {
    await loadScripts();
  });

  it("a single enqueue into a queue new to Redis and to the store is one command: the script registers the queue and publishes the wake-up", async () => {
    const keyPrefix = uniquePrefix("single");
    const store = open(keyPrefix);
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    const job = newJob({ queue: "fresh" });
    expect(await monitor.commandsOf(store, () => store.createJobs([job]))).toEqual(["evalsha"]);
    expect(events).toEqual([{ type: "jobs", queue: "fresh" }]);
    expect(await admin.sismember(`${keyPrefix}{#${keyPrefix}}:queues`, "fresh")).toBe(1);
    // Another instance finds the queue, and the job in it, through the queue set.
    const peer = open(keyPrefix);
    expect((await peer.stats()).byQueue?.fresh?.pending).toBe(1);
    expect((await peer.getJob(job.id))?.status).toBe("pending");
  });

  it("a later single enqueue is one command too", async () => {
    const store = open();
    await store.createJobs([newJob({ queue: "q" })]);
    expect(await monitor.commandsOf(store, () => store.createJobs([newJob({ queue: "q" })]))).toEqual([
      "evalsha",
    ]);
  });

  it("a batch of N jobs to one queue is one command", async () => {
    const store = open();
    const jobs = Array.from({ length: 500 }, () => newJob({ queue: "bulk" }));
    expect(await monitor.commandsOf(store, () => store.createJobs(jobs))).toEqual(["evalsha"]);
    expect((await store.stats()).byQueue?.bulk?.pending).toBe(500);
  });

  it("a batch over K queues is K commands, one per queue, each registering its queue", async () => {
    const keyPrefix = uniquePrefix("spread");
    const store = open(keyPrefix);
    const queues = ["a", "b", "c"];
    const jobs = queues.flatMap((queue) => Array.from({ length: 10 }, () => newJob({ queue })));
    expect(await monitor.commandsOf(store, () => store.createJobs(jobs))).toEqual([
      "evalsha",
      "evalsha",
      "evalsha",
    ]);
    expect((await admin.smembers(`${keyPrefix}{#${keyPrefix}}:queues`)).sort()).toEqual(queues);
  });

  it("a batch over K queues with a unique key is first checked in every queue: 2K commands", async () => {
    const store = open(uniquePrefix("spread-unique"));
    const jobs = ["a", "b", "c"].flatMap((queue) => [newJob({ queue }), newJob({ queue, uniqueKey: queue })]);
    // This call loads checkJobs.lua (NOSCRIPT, then EVAL); the next one is counted.
    await store.createJobs([newJob({ queue: "x", uniqueKey: "w" }), newJob({ queue: "y" })]);
    expect(await monitor.commandsOf(store, () => store.createJobs(jobs))).toEqual(Array(6).fill("evalsha"));
  });

  it("a deduplicated enqueue and a queue's controls are one command each, the queue registered", async () => {
    const keyPrefix = uniquePrefix("others");
    const store = open(keyPrefix);
    const dedupe = { mode: "throttle", key: "once", ttl: 60_000, maxWait: null } as const;
    expect(
      await monitor.commandsOf(store, () =>
        store.createDedupedJob(newJob({ queue: "deduped" }), dedupe, new Date()),
      ),
    ).toEqual(["evalsha"]);
    expect(
      await monitor.commandsOf(store, () => store.updateQueue("configured", { concurrency: 2 }, new Date())),
    ).toEqual(["evalsha"]);
    expect((await admin.smembers(`${keyPrefix}{#${keyPrefix}}:queues`)).sort()).toEqual([
      "configured",
      "deduped",
    ]);
  });

  it("a claim of one queue is one command", async () => {
    const store = open();
    await store.createJobs(Array.from({ length: 5 }, () => newJob({ queue: "claimed" })));
    let claimed = 0;
    expect(
      await monitor.commandsOf(store, async () => {
        claimed = (await store.claimDueJobs(claimOf("claimed"))).length;
      }),
    ).toEqual(["evalsha"]);
    expect(claimed).toBe(5);
  });
});
