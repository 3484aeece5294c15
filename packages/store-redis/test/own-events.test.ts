import type { StoreEvent } from "@sched/core/adapter";
import { waitFor } from "@sched/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { decodeStoreEvent, jobsEventToken } from "../src/event-subscriber.js";
import { RedisStore } from "../src/index.js";
import { OwnEvents } from "../src/own-events.js";
import { deleteKeys, newJob, peerOf, REDIS_URL, uniquePrefix } from "./helpers.js";

const client = new Redis(REDIS_URL);
const stores: RedisStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) {
    await deleteKeys(client, store.keyPrefix);
    await store.close();
  }
});
afterAll(async () => {
  await client.quit();
});

function open(): RedisStore {
  const store = new RedisStore({ client, keyPrefix: uniquePrefix("own") });
  stores.push(store);
  return store;
}

function openPeer(store: RedisStore): RedisStore {
  const peer = peerOf(store, () => new Redis(REDIS_URL));
  stores.push(peer);
  return peer;
}

function follow(): { own: OwnEvents; delivered: StoreEvent[] } {
  const delivered: StoreEvent[] = [];
  return { own: new OwnEvents((event) => delivered.push(event), "origin"), delivered };
}

const jobsOf = (queue: string): StoreEvent => ({ type: "jobs", queue });

describe("the events of a store's own enqueues", () => {
  it("a jobs message carries its call's token after the queue; the queue alone decodes as before", () => {
    expect(decodeStoreEvent("jemails\norigin:1")).toEqual(jobsOf("emails"));
    expect(jobsEventToken("jemails\norigin:1")).toBe("origin:1");
    expect(decodeStoreEvent("jemails")).toEqual(jobsOf("emails"));
    expect(jobsEventToken("jemails")).toBeNull();
    expect(jobsEventToken("cemails\n1\nid")).toBeNull();
  });

  it("the reply delivers the event and the echo after it is dropped", () => {
    const { own, delivered } = follow();
    const token = own.begin("q");
    own.replied(token, "q", true);
    expect(delivered).toEqual([jobsOf("q")]);
    expect(own.heard(token)).toBe(false);
    expect(delivered).toEqual([jobsOf("q")]);
    expect(own.followed).toBe(0);
  });

  it("an echo that comes before the reply is held until the reply, which delivers the event once", () => {
    const { own, delivered } = follow();
    const token = own.begin("q");
    expect(own.heard(token)).toBe(false);
    expect(delivered).toEqual([]);
    own.replied(token, "q", true);
    expect(delivered).toEqual([jobsOf("q")]);
    expect(own.followed).toBe(0);
  });

  it("a call that fails after its echo came delivers the echo; one that fails before leaves the echo to be delivered", () => {
    const { own, delivered } = follow();
    const echoed = own.begin("a");
    own.heard(echoed);
    own.failed(echoed);
    expect(delivered).toEqual([jobsOf("a")]);
    const silent = own.begin("b");
    own.failed(silent);
    expect(own.heard(silent)).toBe(true);
  });

  it("a reply whose script published nothing delivers nothing", () => {
    const { own, delivered } = follow();
    own.replied(own.begin("q"), "q", false);
    expect(delivered).toEqual([]);
    expect(own.followed).toBe(0);
  });

  it("an event of another store's call is delivered as it comes", () => {
    const { own } = follow();
    expect(own.heard("other:1")).toBe(true);
  });

  it("follows at most 10,000 calls: the oldest is let go, and its held echo delivered then", () => {
    const { own, delivered } = follow();
    const first = own.begin("first");
    own.heard(first);
    for (let i = 0; i < 10_000; i++) own.begin("q");
    expect(own.followed).toBe(10_000);
    expect(delivered).toEqual([jobsOf("first")]);
    // A reply of a call let go still delivers its event: when in doubt, the listeners hear it.
    own.replied(first, "first", true);
    expect(delivered).toEqual([jobsOf("first"), jobsOf("first")]);
  });

  it("a listener hears its store's enqueue once, when the call returns; a peer's enqueue as it comes", async () => {
    const store = open();
    const peer = openPeer(store);
    const heard: StoreEvent[] = [];
    const peerHeard: StoreEvent[] = [];
    store.subscribe((event) => heard.push(event));
    peer.subscribe((event) => peerHeard.push(event));
    // A subscription is in place once it heard the other store's enqueue: wait for both. An
    // enqueue published before the listening store's SUBSCRIBE landed is never heard (a busy
    // machine took over 2 s to land it), so each round sends one of its own, until the latest is
    // heard: every earlier one has then come or never will (one connection keeps their order).
    const queued = (events: StoreEvent[], queue: string) =>
      events.some((event) => (event as { queue?: string }).queue === queue);
    const warm = async (sender: RedisStore, events: StoreEvent[], label: string): Promise<void> => {
      for (let round = 1; ; round++) {
        await sender.createJobs([newJob({ queue: `${label}-${round}` })]);
        const heardIt = await waitFor(() => queued(events, `${label}-${round}`), { timeout: "500ms" }).then(
          () => true,
          () => false,
        );
        if (heardIt) return;
        if (round >= 20) throw new Error(`no enqueue of ${label} heard in 20 rounds`);
      }
    };
    await warm(peer, heard, "warm-peer");
    await warm(store, peerHeard, "warm-store");
    heard.length = 0;
    peerHeard.length = 0;
    await store.createJobs([newJob({ queue: "a" }), newJob({ queue: "a" })]);
    expect(heard).toEqual([jobsOf("a")]);
    // Published after the echo of the enqueue above, so heard after it, on the same connection.
    await peer.createJobs([newJob({ queue: "b" })]);
    await waitFor(() => heard.length > 1, { description: "the peer's event" });
    expect(heard).toEqual([jobsOf("a"), jobsOf("b")]);
    await waitFor(() => peerHeard.length > 1, { description: "the store's event at its peer" });
    expect(peerHeard).toEqual([jobsOf("a"), jobsOf("b")]);
  });

  it("an enqueue over several queues gives one event per queue; a refused one gives none", async () => {
    const store = open();
    const heard: StoreEvent[] = [];
    store.subscribe((event) => heard.push(event));
    await store.createJobs([newJob({ queue: "a" }), newJob({ queue: "b" }), newJob({ queue: "a" })]);
    expect(heard.map((event) => (event as { queue: string }).queue).sort()).toEqual(["a", "b"]);
    heard.length = 0;
    await store.createJobs([newJob({ queue: "a", uniqueKey: "k" })]);
    heard.length = 0;
    await expect(store.createJobs([newJob({ queue: "a", uniqueKey: "k" })])).rejects.toMatchObject({
      code: "JOB_ALREADY_EXISTS",
    });
    // A marker from another store shows that nothing else came before it.
    const peer = openPeer(store);
    await peer.createJobs([newJob({ queue: "marker" })]);
    await waitFor(() => heard.length > 0, { description: "the marker" });
    expect(heard).toEqual([jobsOf("marker")]);
  });

  it("a batch over several queues refused for a held key inserts nothing anywhere: no event, nothing to claim", async () => {
    const store = open();
    const heard: StoreEvent[] = [];
    store.subscribe((event) => heard.push(event));
    await store.createJobs([newJob({ queue: "held", uniqueKey: "k" })]);
    heard.length = 0;
    for (let i = 0; i < 20; i++) {
      // The refused queue comes last, so that the other queues' parts would be inserted first.
      await expect(
        store.createJobs([
          newJob({ queue: `free-${i % 3}` }),
          newJob({ queue: `other-${i % 2}` }),
          newJob({ queue: "held", uniqueKey: "k" }),
        ]),
      ).rejects.toMatchObject({ code: "JOB_ALREADY_EXISTS" });
    }
    const peer = openPeer(store);
    const claimed = await peer.claimDueJobs({
      now: new Date(Date.now() + 60_000),
      lockedUntil: new Date(Date.now() + 120_000),
      workerId: "w",
      limit: 100,
      queues: ["free-0", "free-1", "free-2", "other-0", "other-1"],
      names: null,
    });
    expect(claimed).toEqual([]);
    // A marker from another store shows that nothing else came before it.
    await peer.createJobs([newJob({ queue: "marker" })]);
    await waitFor(() => heard.length > 0, { description: "the marker" });
    expect(heard).toEqual([jobsOf("marker")]);
  });

  it("a deduplicated enqueue gives an event when it inserts the job, none when the window throttles it", async () => {
    const store = open();
    const heard: StoreEvent[] = [];
    store.subscribe((event) => heard.push(event));
    const dedupe = { mode: "throttle", key: "once", ttl: 60_000, maxWait: null } as const;
    const now = new Date();
    expect((await store.createDedupedJob(newJob({ queue: "d" }), dedupe, now)).outcome).toBe("created");
    expect(heard).toEqual([jobsOf("d")]);
    expect((await store.createDedupedJob(newJob({ queue: "d" }), dedupe, now)).outcome).toBe("throttled");
    const peer = openPeer(store);
    await peer.createJobs([newJob({ queue: "marker" })]);
    await waitFor(() => heard.length > 1, { description: "the marker" });
    expect(heard).toEqual([jobsOf("d"), jobsOf("marker")]);
  });
});
