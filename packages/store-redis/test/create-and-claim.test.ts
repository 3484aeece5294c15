import { type ClaimOptions, JobAlreadyExistsError, type StoreEvent } from "@sched/core/adapter";
import { PrivateRedis } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { CommandMonitor } from "./command-monitor.js";
import { newJob, uniquePrefix } from "./helpers.js";

// createJobsAndClaim: the insert and the claim of one queue in one script call. A server of this
// file's own, watched with MONITOR as in commands.test.ts: commands run by a script show as coming
// from "lua" and are not counted.
const server = new PrivateRedis();
let admin: Redis;
let monitor: CommandMonitor;
const stores: RedisStore[] = [];

beforeAll(async () => {
  await server.start();
  admin = new Redis(server.url);
  monitor = new CommandMonitor(server.url);
  await monitor.start();
  // Loads the scripts, so that the first call of each below is one EVALSHA (not NOSCRIPT + EVAL).
  const warm = open();
  await warm.createJobsAndClaim([newJob({ queue: "warm-up" })], claimOf(["warm-up"]));
  await warm.createJobs([newJob({ queue: "warm-up" })]);
  await warm.claimDueJobs(claimOf(["warm-up"]));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

afterAll(async () => {
  monitor?.stop();
  await admin?.quit();
  await server.remove();
});

function open(keyPrefix = uniquePrefix("create-claim")): RedisStore {
  const store = new RedisStore({ url: server.url, keyPrefix });
  stores.push(store);
  return store;
}

function claimOf(queues: string[] | null, overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  const now = Date.now();
  return {
    queues,
    names: ["test-job"],
    limit: 10,
    now: new Date(now + 1_000),
    lockedUntil: new Date(now + 60_000),
    workerId: "w",
    ...overrides,
  };
}

/**
 * The `jobs` events `store` and a peer on its prefix (another instance) hear while `action` runs,
 * and until a marker enqueue of the peer into queue `marker` has been heard by both: pub/sub keeps
 * the order, so an event of `action` would have come before it.
 */
async function eventsOf(
  store: RedisStore,
  action: () => Promise<unknown>,
): Promise<{ own: string[]; peer: string[] }> {
  const peer = open(store.keyPrefix);
  const own: StoreEvent[] = [];
  const heard: StoreEvent[] = [];
  store.subscribe((event) => own.push(event));
  peer.subscribe((event) => heard.push(event));
  // Both subscriptions are live once a first enqueue has been heard by both.
  await peer.createJobs([newJob({ queue: "marker", name: "other" })]);
  await waitFor(() => (own.length > 0 && heard.length > 0 ? true : null), { description: "subscriptions" });
  own.length = 0;
  heard.length = 0;
  await action();
  await peer.createJobs([newJob({ queue: "marker", name: "other" })]);
  const isMarker = (event: StoreEvent) => event.type === "jobs" && event.queue === "marker";
  await waitFor(() => (own.some(isMarker) && heard.some(isMarker) ? true : null), {
    description: "the marker's events",
  });
  const queues = (events: StoreEvent[]) =>
    events.flatMap((event) => (event.type === "jobs" && event.queue !== "marker" ? [event.queue] : []));
  return { own: queues(own), peer: queues(heard) };
}

describe("createJobsAndClaim on Redis", () => {
  it("one job into one queue is one command, and the job comes back claimed", async () => {
    const store = open();
    const job = newJob({ queue: "q" });
    let result: Awaited<ReturnType<RedisStore["createJobsAndClaim"]>> | undefined;
    expect(
      await monitor.commandsOf(store, async () => {
        result = await store.createJobsAndClaim([job], claimOf(["q"]));
      }),
    ).toEqual(["evalsha"]);
    expect(result?.jobs.map((created) => [created.id, created.status])).toEqual([[job.id, "pending"]]);
    expect(result?.claimed.map((claimed) => [claimed.id, claimed.status, claimed.attempt])).toEqual([
      [job.id, "running", 1],
    ]);
    expect((await store.getJob(job.id))?.lockedBy).toBe("w");
    expect((await store.stats()).byQueue?.q).toMatchObject({ pending: 0, running: 1 });
  });

  it("with every queue claimed (queues: null) and only that queue known, it is one command too", async () => {
    const store = open();
    await store.createJobsAndClaim([newJob({ queue: "q" })], claimOf(null));
    const job = newJob({ queue: "q" });
    let claimed: string[] = [];
    expect(
      await monitor.commandsOf(store, async () => {
        claimed = (await store.createJobsAndClaim([job], claimOf(null))).claimed.map((found) => found.id);
      }),
    ).toEqual(["evalsha"]);
    expect(claimed).toEqual([job.id]);
  });

  it("after an idle spell (the list of queues over a second old), the list is read again alongside, not first", async () => {
    const store = open();
    await store.createJobsAndClaim([newJob({ queue: "q" })], claimOf(null));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const job = newJob({ queue: "q" });
    let claimed: string[] = [];
    // Both sent at once: the script does not wait for SMEMBERS's answer.
    expect(
      await monitor.commandsOf(store, async () => {
        claimed = (await store.createJobsAndClaim([job], claimOf(null))).claimed.map((found) => found.id);
      }),
    ).toEqual(["smembers", "evalsha"]);
    expect(claimed).toEqual([job.id]);
  });

  it("claims in claim order across old and new jobs: an older job goes first", async () => {
    const store = open();
    const older = newJob({
      queue: "q",
      createdAt: new Date(Date.now() - 5_000),
      scheduledAt: new Date(Date.now() - 5_000),
    });
    await store.createJobs([older]);
    const job = newJob({ queue: "q" });
    const { jobs, claimed } = await store.createJobsAndClaim([job], claimOf(["q"], { limit: 1 }));
    expect(jobs.map((created) => created.id)).toEqual([job.id]);
    expect(claimed.map((found) => found.id)).toEqual([older.id]);
    expect((await store.getJob(job.id))?.status).toBe("pending");
  });

  it("a held unique key inserts nothing and claims nothing", async () => {
    const store = open();
    const holder = newJob({
      queue: "q",
      uniqueKey: "k",
      scheduledAt: new Date(Date.now() + 60_000),
      status: "scheduled",
    });
    const waiting = newJob({ queue: "q" });
    await store.createJobs([holder, waiting]);
    const fresh = newJob({ queue: "q" });
    const clash = newJob({ queue: "q", uniqueKey: "k" });
    const events = await eventsOf(store, async () => {
      const error = await store
        .createJobsAndClaim([fresh, clash], claimOf(["q"]))
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(JobAlreadyExistsError);
      expect(error).toMatchObject({ code: "JOB_ALREADY_EXISTS", uniqueKey: "k", existingJobId: holder.id });
    });
    expect(events).toEqual({ own: [], peer: [] });
    expect(await store.getJob(fresh.id)).toBeNull();
    expect(await store.getJob(clash.id)).toBeNull();
    expect((await store.getJob(waiting.id))?.status).toBe("pending");
    expect((await store.stats()).byQueue?.q).toMatchObject({ pending: 1, scheduled: 1, running: 0 });
  });

  it("sends no jobs event when the only new job was claimed", async () => {
    const store = open();
    const job = newJob({ queue: "q" });
    const events = await eventsOf(store, async () => {
      const { claimed } = await store.createJobsAndClaim([job], claimOf(["q"]));
      expect(claimed.map((found) => found.id)).toEqual([job.id]);
    });
    expect(events).toEqual({ own: [], peer: [] });
  });

  it("sends one jobs event, heard once, when a new job is left waiting", async () => {
    const store = open();
    const job = newJob({ queue: "q", name: "unclaimed" });
    const events = await eventsOf(store, async () => {
      const { jobs, claimed } = await store.createJobsAndClaim([job], claimOf(["q"]));
      expect(jobs.map((created) => created.id)).toEqual([job.id]);
      expect(claimed).toEqual([]);
    });
    expect(events).toEqual({ own: ["q"], peer: ["q"] });
    expect((await store.getJob(job.id))?.status).toBe("pending");
  });

  it("claims under the queue's controls: a paused queue leases nothing and its job waits", async () => {
    const store = open();
    await store.updateQueue("q", { paused: true }, new Date());
    const job = newJob({ queue: "q" });
    const events = await eventsOf(store, async () => {
      const { claimed } = await store.createJobsAndClaim([job], claimOf(["q"]));
      expect(claimed).toEqual([]);
    });
    expect(events.own).toEqual(["q"]);
    await store.updateQueue("q", { paused: false }, new Date());
    expect((await store.claimDueJobs(claimOf(["q"]))).map((found) => found.id)).toEqual([job.id]);
  });

  it("a batch over two queues, or a claim of other queues, is createJobs then claimDueJobs", async () => {
    const store = open();
    const a = newJob({ queue: "a" });
    const b = newJob({ queue: "b" });
    const both = await store.createJobsAndClaim([a, b], claimOf(["a", "b"]));
    expect(both.jobs.map((job) => job.id)).toEqual([a.id, b.id]);
    expect(both.claimed.map((job) => job.id).sort()).toEqual([a.id, b.id].sort());
    const c = newJob({ queue: "c" });
    const other = newJob({ queue: "a" });
    await store.createJobs([other]);
    const elsewhere = await store.createJobsAndClaim([c], claimOf(["a"]));
    expect(elsewhere.claimed.map((job) => job.id)).toEqual([other.id]);
    expect((await store.getJob(c.id))?.status).toBe("pending");
  });
});
