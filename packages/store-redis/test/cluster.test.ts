import { type RedisCluster, startRedisCluster } from "@sched/redis-cluster";
import { waitFor } from "@sched/testing";
import { storeConformance } from "@sched/testing/conformance";
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { deleteKeys, keysOf, newJob, newSchedule, peerOf, uniquePrefix } from "./helpers.js";
import { describeScheduleMoves } from "./schedule-moves.js";

// One local 3-node Redis Cluster for the whole file (ports 7100-7102 belong to this package).
let cluster: RedisCluster;
let client: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ basePort: 7100 });
  client = cluster.client();
  // The application's client connects to a node the first time a key lives there; connected to
  // every node now, it opens nothing during a test that the suite would count against a store
  // (the rule that close() leaves no socket open).
  await client.ping();
  await Promise.all(client.nodes("all").map((node) => node.ping()));
});

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

// The same suite on Redis Cluster: every script must run in one slot, and a peer (another
// instance, with a Cluster client of its own) must hear every event.
storeConformance(
  "RedisStore on Redis Cluster",
  () => new RedisStore({ client, keyPrefix: uniquePrefix("cluster") }),
  {
    cleanup: async (store) => deleteKeys(client, (store as RedisStore).keyPrefix),
    openPeer: (store) => peerOf(store as RedisStore, () => cluster.client()),
    wipe: async (store) => deleteKeys(client, (store as RedisStore).keyPrefix),
  },
);

describeScheduleMoves("RedisStore on Redis Cluster", () => ({
  client,
  keysOf: (prefix) => keysOf(client, prefix),
}));

describe("RedisStore on Redis Cluster", () => {
  it("all keys of a queue hash to one slot, and the queues spread over the nodes", async () => {
    const keyPrefix = uniquePrefix("slots");
    const store = new RedisStore({ client, keyPrefix });
    const queues = ["emails", "reports", "billing", "q/with:odd.chars-1"];
    const now = new Date("2030-01-01T00:00:00.000Z");
    for (const queue of queues) {
      const jobs = [
        newJob({ queue, uniqueKey: `${queue}:u` }),
        newJob({ queue, priority: 5 }),
        newJob({ queue, status: "scheduled", scheduledAt: new Date("2031-01-01") }),
      ];
      await store.createJobs(jobs);
      const [running, other] = await store.claimDueJobs({
        queues: [queue],
        names: null,
        limit: 2,
        now: new Date(),
        lockedUntil: new Date(Date.now() + 60_000),
        workerId: "w",
      });
      await store.completeJobs([{ id: running!.id, queue, attempt: 1, lockedBy: "w" }], { now });
      await store.failJob(
        { id: other!.id, queue, attempt: 1, lockedBy: "w" },
        {
          now,
          error: "x",
          retryAt: null,
          deadLetter: { name: "dead", priority: 0, maxRetries: 0, timeout: 1_000 },
        },
      );
      await store.saveSchedule(newSchedule(`${queue}-schedule`, queue, now));
    }
    await store.epoch();
    const keys = await keysOf(client, keyPrefix);
    expect(keys.every((key) => key.startsWith(keyPrefix))).toBe(true);
    const node = cluster.node(0);
    const slotsByQueue = new Map<string, Set<number>>();
    for (const key of keys) {
      const tag = /^[^{]*\{([^}]*)\}/.exec(key)?.[1] as string;
      const slot = (await node.cluster("KEYSLOT", key)) as number;
      const slots = slotsByQueue.get(tag) ?? new Set<number>();
      slots.add(slot);
      slotsByQueue.set(tag, slots);
    }
    node.disconnect();
    for (const queue of queues) expect(slotsByQueue.get(queue)?.size).toBe(1);
    expect(slotsByQueue.get(`#${keyPrefix}`)?.size).toBe(1);
    expect(new Set([...slotsByQueue.values()].map((s) => [...s][0])).size).toBe(queues.length + 1);
    await deleteKeys(client, keyPrefix);
    await store.close();
  });

  it("a batch over queues of every node registers each queue from the client, and a listener of the enqueuing store hears each once", async () => {
    const keyPrefix = uniquePrefix("register");
    const store = new RedisStore({ client, keyPrefix });
    const queues = Array.from({ length: 12 }, (_, i) => `queue-${i}`);
    const heard: string[] = [];
    const unsubscribe = store.subscribe((event) => {
      if (event.type === "jobs") heard.push(event.queue);
    });
    // The queue set lives in the slot of {#<prefix>}: a script of a queue cannot write it.
    await store.createJobs(queues.map((queue) => newJob({ queue })));
    expect((await client.smembers(`${keyPrefix}{#${keyPrefix}}:queues`)).sort()).toEqual([...queues].sort());
    expect([...heard].sort()).toEqual([...queues].sort());
    // The echoes come on the subscribed connection after the replies, and are dropped.
    await store.createJobs([newJob({ queue: queues[0] as string })]);
    const peer = peerOf(store, () => cluster.client());
    await peer.createJobs([newJob({ queue: "marker" })]);
    await waitFor(() => heard.includes("marker"), { timeout: "5s", description: "the peer's event" });
    expect(heard.length).toBe(queues.length + 2);
    unsubscribe();
    await Promise.all([store.close(), peer.close()]);
    await deleteKeys(client, keyPrefix);
  });

  it("events published by scripts on every node reach the subscribers of every instance", async () => {
    const keyPrefix = uniquePrefix("events");
    const listening = new RedisStore({ client, keyPrefix });
    const listeners = [listening, peerOf(listening, () => cluster.client())];
    const producing = new RedisStore({ client, keyPrefix });
    // Enough queues that their slots lie on every node.
    const queues = Array.from({ length: 12 }, (_, i) => `queue-${i}`);
    const heard = listeners.map(() => new Set<string>());
    const unsubscribes = listeners.map((store, i) =>
      store.subscribe((event) => {
        if (event.type === "jobs") heard[i]!.add(event.queue);
      }),
    );
    // A call waits for its store's subscription to be in place.
    await Promise.all(listeners.map((store) => store.ping()));
    await producing.createJobs(queues.map((queue) => newJob({ queue })));
    await waitFor(() => heard.every((set) => queues.every((queue) => set.has(queue))), {
      timeout: "5s",
      description: "every listener to hear every queue",
    });
    for (const unsubscribe of unsubscribes) unsubscribe();
    await Promise.all([...listeners, producing].map((store) => store.close()));
    await deleteKeys(client, keyPrefix);
  });

  it("after the connection it subscribes on is killed, a listener hears connected once it has subscribed again", async () => {
    const keyPrefix = uniquePrefix("connected");
    const store = new RedisStore({ client, keyPrefix });
    const producer = new RedisStore({ client, keyPrefix });
    const woken: string[] = [];
    let connected = 0;
    const unsubscribe = store.subscribe((event) => {
      if (event.type === "jobs") woken.push(event.queue);
      if (event.type === "connected") connected++;
    });
    try {
      await store.ping();
      expect(connected).toBe(0);
      // Kill every pub/sub connection of every node: the client subscribes again on some node.
      for (let i = 0; i < 3; i++) {
        const node = cluster.node(i);
        await node.call("CLIENT", "KILL", "TYPE", "pubsub");
        node.disconnect();
      }
      await waitFor(() => connected >= 1, { timeout: "10s", description: "the connected event" });
      // The kills of the later nodes may cut the new subscription again (a further connected event
      // follows); events sent while it is down are lost by design. So send until one is heard.
      await waitFor(
        async () => {
          await producer.createJobs([newJob({ queue: "after" })]);
          await new Promise((resolve) => setTimeout(resolve, 200));
          return woken.includes("after");
        },
        { timeout: "10s", description: "an event after it" },
      );
    } finally {
      unsubscribe();
      await Promise.all([store.close(), producer.close()]);
      await deleteKeys(client, keyPrefix);
    }
  });
});
