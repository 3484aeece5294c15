import type { StoreEvent } from "@sched/core/adapter";
import { FaultProxy } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { newJob } from "@sched/testing/conformance";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

// The LISTEN connection of a store that has just subscribed is opened in the background. A NOTIFY
// committed before its LISTEN is answered reaches no one; the store's calls wait for that LISTEN
// (at most 2 s), so that whatever another instance commits after such a call is heard. The LISTEN
// connection goes through a proxy that holds the server's answers: a server far away, or slow to
// accept a connection.
const schemas = new TestSchemas();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => schemas.dropAll());

async function slowListen(): Promise<{
  store: PostgresStore;
  peer: PostgresStore;
  proxy: FaultProxy;
  events: StoreEvent[];
}> {
  const schema = await schemas.migrated("sched_first_listen");
  const proxy = await FaultProxy.start(new URL(POSTGRES_URL).host);
  cleanups.push(() => proxy.close());
  const listenUrl = new URL(POSTGRES_URL);
  listenUrl.port = String(proxy.port);
  const store = schemas.store(schema, { listenConnectionString: listenUrl.toString() });
  const peer = schemas.store(schema);
  cleanups.push(
    () => store.close(),
    () => peer.close(),
  );
  // The pool is warm, as a scheduler's is when it starts again: a call needs no new connection.
  await store.getJob("warm-up");
  const events: StoreEvent[] = [];
  proxy.stall();
  cleanups.push(async () => unsubscribe());
  const unsubscribe = store.subscribe((event) => events.push(event));
  return { store, peer, proxy, events };
}

describe("PostgresStore: the first LISTEN after subscribe()", () => {
  it("a call made right after subscribe() returns once LISTEN is in place: another instance's enqueue after it is heard", async () => {
    const { store, peer, proxy, events } = await slowListen();
    const call = store.getJob("none");
    const resume = setTimeout(() => proxy.resume(), 300);
    cleanups.push(async () => clearTimeout(resume));
    expect(await call).toBeNull();
    // A worker's first claim came back empty here; another instance now enqueues.
    await peer.createJobs([newJob({ queue: "after-first-call" })]);
    await waitFor(() => events.some((event) => event.type === "jobs" && event.queue === "after-first-call"), {
      timeout: "5s",
      description: "the other instance's enqueue to be heard",
    });
    // The first LISTEN is not a return: no `connected` event.
    expect(events.filter((event) => event.type === "connected")).toEqual([]);
  });

  it("close() during the wait ends it: the call fails with STORE_CLOSED", async () => {
    const { store } = await slowListen();
    const failed = expect(store.getJob("none")).rejects.toMatchObject({ code: "STORE_CLOSED" });
    await store.close();
    await failed;
  });

  it("a LISTEN that takes longer than 2 s holds the calls no longer, and is announced as a return when it comes", async () => {
    const { store, proxy, events } = await slowListen();
    // No answer comes: the call goes on without the LISTEN after the bound.
    expect(await store.getJob("none")).toBeNull();
    const internals = store as unknown as { wakeUps: { untilListening(): Promise<void> | null } };
    expect(internals.wakeUps.untilListening()).toBeNull();
    expect(events).toEqual([]);
    proxy.resume();
    // Notifications committed meanwhile were missed: the listeners are told to look for work.
    await waitFor(() => events.some((event) => event.type === "connected"), {
      timeout: "5s",
      description: "a connected event once the LISTEN is in place",
    });
  });
});
