import { InvalidArgumentError, uuidv7Generator } from "@sched/core";
import { waitFor } from "@sched/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { isListening, POSTGRES_URL, TestSchemas, uniqueName } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
const nextId = uuidv7Generator();
const T0 = new Date("2030-01-01T00:00:00.000Z");

beforeAll(async () => {
  schema = await schemas.migrated("sched_wake");
});
afterAll(() => schemas.dropAll());

function newJob(queue: string, uniqueKey: string | null = null) {
  return {
    id: nextId(),
    name: "wake",
    payload: null,
    queue,
    priority: 0,
    maxRetries: 0,
    timeout: 1_000,
    scheduledAt: T0,
    createdAt: T0,
    status: "pending" as const,
    metadata: {},
    uniqueKey,
  };
}

/** A store with a known application name, so tests can watch its LISTEN connection. */
function namedStore(options: Parameters<TestSchemas["store"]>[1] = {}): PostgresStore {
  return schemas.store(schema, { applicationName: uniqueName("sched_wake"), ...options });
}

/**
 * Subscribes a recorder and waits until the store's LISTEN connection is in place. `queues` gets
 * the queue of each `jobs` event, `cancelled` "<queue>/<id>/<attempt>" of each `cancelled` event.
 */
async function listeningRecorder(
  store: PostgresStore,
): Promise<{ queues: string[]; cancelled: string[]; unsubscribe: () => void }> {
  const queues: string[] = [];
  const cancelled: string[] = [];
  const unsubscribe = store.subscribe((event) => {
    if (event.type === "jobs") queues.push(event.queue);
    else if (event.type === "cancelled") cancelled.push(`${event.queue}/${event.id}/${event.attempt}`);
  });
  await waitFor(() => isListening(schemas.admin, store.applicationName), {
    timeout: "5s",
    description: "the LISTEN connection",
  });
  return { queues, cancelled, unsubscribe };
}

describe("LISTEN/NOTIFY wake-ups", () => {
  it("a listener on one store hears jobs enqueued through another store, within milliseconds", async () => {
    const listener = namedStore();
    const producer = namedStore();
    const { queues, unsubscribe } = await listeningRecorder(listener);
    try {
      const queue = uniqueName("q");
      const started = performance.now();
      await producer.createJobs([newJob(queue), newJob(queue)]);
      await waitFor(() => queues.includes(queue), {
        timeout: "5s",
        description: "a wake-up for the new queue",
      });
      // The path is push, not polling: generous bound, figures are not asserted here (see README).
      expect(performance.now() - started).toBeLessThan(2_000);
      // One NOTIFY per queue per statement, however many jobs.
      expect(queues.filter((q) => q === queue)).toHaveLength(1);
    } finally {
      unsubscribe();
      await Promise.all([listener.close(), producer.close()]);
    }
  });

  it("recovered leases wake listeners of other instances", async () => {
    const listener = namedStore();
    const worker = namedStore();
    const { queues, unsubscribe } = await listeningRecorder(listener);
    try {
      const queue = uniqueName("q");
      await worker.createJobs([newJob(queue)]);
      const [claimed] = await worker.claimDueJobs({
        queues: [queue],
        names: null,
        limit: 1,
        now: T0,
        lockedUntil: new Date(T0.getTime() + 1_000),
        workerId: "gone",
      });
      queues.length = 0;
      const recovered = await worker.recoverExpiredLeases({
        now: new Date(T0.getTime() + 1_000),
        limit: 10,
        maxLostLeases: 3,
        error: "lease expired",
        deadLetter: null,
      });
      expect(recovered).toEqual({ recovered: [claimed!.id], dead: [] });
      await waitFor(() => queues.includes(queue), { timeout: "5s", description: "a wake-up after recovery" });
    } finally {
      unsubscribe();
      await Promise.all([listener.close(), worker.close()]);
    }
  });

  it("a requeue and a schedule tick on another store wake listeners through NOTIFY", async () => {
    const listener = namedStore();
    const actor = namedStore();
    const { queues, unsubscribe } = await listeningRecorder(listener);
    try {
      const requeued = uniqueName("q");
      const [job] = await actor.createJobs([newJob(requeued)]);
      await actor.cancelJob(job!.id, T0);
      queues.length = 0;
      await actor.requeueJob(job!.id, T0);
      await waitFor(() => queues.includes(requeued), {
        timeout: "5s",
        description: "a wake-up after requeueJob",
      });

      const ticked = uniqueName("q");
      const name = uniqueName("schedule");
      await actor.saveSchedule({
        name,
        definition: {
          kind: "interval",
          every: 60_000,
          anchor: T0.getTime(),
          timezone: "UTC",
          misfire: "once",
          maxOccurrences: null,
          until: null,
          job: {
            queue: ticked,
            priority: 0,
            maxRetries: 0,
            timeout: 0,
            payload: null,
            metadata: {},
            uniqueKey: null,
          },
        },
        nextRunAt: T0,
        lastRunAt: null,
        occurrences: 0,
        createdAt: T0,
        updatedAt: T0,
        definedAt: T0,
        definedBy: null,
      });
      const fired = await actor.fireScheduleTick({
        name,
        expectedNextRunAt: T0,
        nextRunAt: new Date(T0.getTime() + 60_000),
        firedAt: T0,
        jobs: [newJob(ticked)],
      });
      expect(fired.fired).toBe(true);
      await waitFor(() => queues.includes(ticked), {
        timeout: "5s",
        description: "a wake-up after a schedule tick",
      });
    } finally {
      unsubscribe();
      await Promise.all([listener.close(), actor.close()]);
    }
  });

  it("the LISTEN connection opens with the first subscriber and closes with the last", async () => {
    const store = namedStore();
    try {
      const first = store.subscribe(() => {});
      const second = store.subscribe(() => {});
      await waitFor(() => isListening(schemas.admin, store.applicationName), {
        timeout: "5s",
        description: "the LISTEN connection",
      });
      first();
      expect(await isListening(schemas.admin, store.applicationName)).toBe(true);
      second();
      await waitFor(async () => !(await isListening(schemas.admin, store.applicationName)), {
        timeout: "5s",
        description: "the LISTEN connection to close",
      });
    } finally {
      await store.close();
    }
  });

  it("with notify: false nothing LISTENs and other stores are not woken, but local changes still are", async () => {
    const quiet = namedStore({ notify: false });
    const listener = namedStore();
    const { queues: remote, unsubscribe: stopRemote } = await listeningRecorder(listener);
    const local: string[] = [];
    const stopLocal = quiet.subscribe((event) => {
      if (event.type === "jobs") local.push(event.queue);
    });
    try {
      const queue = uniqueName("q");
      await quiet.createJobs([newJob(queue)]);
      expect(local).toEqual([queue]);
      // A marker NOTIFY sent after the quiet insert arrives after anything the insert could have sent.
      const marker = uniqueName("marker");
      await schemas.admin.query("SELECT pg_notify($1, $2)", [`sched.${schema}.scheduler_jobs`, marker]);
      await waitFor(() => remote.includes(marker), { timeout: "5s", description: "the marker notification" });
      expect(remote).not.toContain(queue);
      expect(await isListening(schemas.admin, quiet.applicationName)).toBe(false);
    } finally {
      stopLocal();
      stopRemote();
      await Promise.all([quiet.close(), listener.close()]);
    }
  });

  it("a listener that throws neither breaks the store nor the other listeners", async () => {
    const store = namedStore();
    const heard: string[] = [];
    const stopThrowing = store.subscribe(() => {
      throw new Error("listener failure");
    });
    const stopRecording = store.subscribe((event) => {
      if (event.type === "jobs") heard.push(event.queue);
    });
    try {
      await store.createJobs([newJob("throwing")]);
      expect(heard).toContain("throwing");
    } finally {
      stopThrowing();
      stopRecording();
      await store.close();
    }
  });
});

/** Claims the one job of `queue` on `store` with a one-second lease. */
async function claimOne(store: PostgresStore, queue: string) {
  const [claimed] = await store.claimDueJobs({
    queues: [queue],
    names: null,
    limit: 1,
    now: T0,
    lockedUntil: new Date(T0.getTime() + 1_000),
    workerId: "w",
  });
  return claimed!;
}

describe("cancel notifications", () => {
  it("cancelling a running job through one store sends every other store a cancelled event; a waiting job's cancel sends none", async () => {
    const listener = namedStore();
    const operator = namedStore();
    const { queues, cancelled, unsubscribe } = await listeningRecorder(listener);
    try {
      const queue = uniqueName("q");
      await operator.createJobs([newJob(queue)]);
      const running = await claimOne(operator, queue);
      const [waiting] = await operator.createJobs([newJob(queue)]);
      await operator.cancelJob(running.id, T0);
      await operator.cancelJob(waiting!.id, T0);
      await waitFor(() => cancelled.includes(`${queue}/${running.id}/1`), {
        timeout: "5s",
        description: "the cancelled event",
      });
      // A marker sent after both cancels arrives after anything they sent.
      const marker = uniqueName("marker");
      await schemas.admin.query("SELECT pg_notify($1, $2)", [`sched.${schema}.scheduler_jobs`, marker]);
      await waitFor(() => queues.includes(marker), { timeout: "5s", description: "the marker" });
      expect(cancelled).toEqual([`${queue}/${running.id}/1`]);
    } finally {
      unsubscribe();
      await Promise.all([listener.close(), operator.close()]);
    }
  });

  it("a store hears its own cancel of a running job once, at once, and not again through LISTEN", async () => {
    const store = namedStore();
    const { queues, cancelled, unsubscribe } = await listeningRecorder(store);
    try {
      const queue = uniqueName("q");
      await store.createJobs([newJob(queue)]);
      const running = await claimOne(store, queue);
      await store.cancelJob(running.id, T0);
      expect(cancelled).toEqual([`${queue}/${running.id}/1`]);
      // The echo would have arrived before this marker, sent after the cancel committed.
      const marker = uniqueName("marker");
      await schemas.admin.query("SELECT pg_notify($1, $2)", [`sched.${schema}.scheduler_jobs`, marker]);
      await waitFor(() => queues.includes(marker), { timeout: "5s", description: "the marker" });
      expect(cancelled).toEqual([`${queue}/${running.id}/1`]);
    } finally {
      unsubscribe();
      await store.close();
    }
  });

  it("a plain queue name is a jobs event, a cancel names its attempt and its id may hold tabs; the previous release's cancel (no attempt) and malformed ones are ignored", async () => {
    const listener = namedStore();
    const { queues, cancelled, unsubscribe } = await listeningRecorder(listener);
    try {
      const channel = `sched.${schema}.scheduler_jobs`;
      for (const payload of [
        "emails",
        "cancel\tnot-a-cancel",
        "cancel\tq\tan-old-cancel-without-attempt",
        "cancel\t\tx\tq\tid",
        "cancel\t\t7\tq",
        "cancel\t\t7\tq\tid\twith\ttabs",
        "last",
      ]) {
        await schemas.admin.query("SELECT pg_notify($1, $2)", [channel, payload]);
      }
      await waitFor(() => queues.includes("last"), { timeout: "5s", description: "the last notification" });
      expect(queues).toEqual(["emails", "last"]);
      expect(cancelled).toEqual(["q/id\twith\ttabs/7"]);
    } finally {
      unsubscribe();
      await listener.close();
    }
  });

  it("with notify: false the cancel of a running job is heard by the store's own listeners only", async () => {
    const quiet = namedStore({ notify: false });
    const listener = namedStore();
    const { cancelled: remote, queues, unsubscribe: stopRemote } = await listeningRecorder(listener);
    const local: string[] = [];
    const stopLocal = quiet.subscribe((event) => {
      if (event.type === "cancelled") local.push(event.id);
    });
    try {
      const queue = uniqueName("q");
      await quiet.createJobs([newJob(queue)]);
      const running = await claimOne(quiet, queue);
      await quiet.cancelJob(running.id, T0);
      expect(local).toEqual([running.id]);
      const marker = uniqueName("marker");
      await schemas.admin.query("SELECT pg_notify($1, $2)", [`sched.${schema}.scheduler_jobs`, marker]);
      await waitFor(() => queues.includes(marker), { timeout: "5s", description: "the marker" });
      expect(remote).toEqual([]);
    } finally {
      stopLocal();
      stopRemote();
      await Promise.all([quiet.close(), listener.close()]);
    }
  });

  it("a death with a dead letter, a retry and a release wake listeners of other instances", async () => {
    const listener = namedStore();
    const worker = namedStore();
    const { queues, unsubscribe } = await listeningRecorder(listener);
    try {
      const died = uniqueName("q");
      const retried = uniqueName("q");
      const released = uniqueName("q");
      await worker.createJobs([newJob(died), newJob(retried), newJob(released)]);
      const [dying, retrying, releasing] = [
        await claimOne(worker, died),
        await claimOne(worker, retried),
        await claimOne(worker, released),
      ];
      queues.length = 0;
      const letter = { name: "dead", priority: 0, maxRetries: 0, timeout: 1_000 };
      await worker.failJob(
        { id: dying.id, queue: died, attempt: 1, lockedBy: "w" },
        { now: T0, error: "x", retryAt: null, deadLetter: letter },
      );
      await worker.failJob(
        { id: retrying.id, queue: retried, attempt: 1, lockedBy: "w" },
        { now: T0, error: "x", retryAt: new Date(T0.getTime() + 5_000) },
      );
      await worker.releaseJobs([{ id: releasing.id, queue: released, attempt: 1, lockedBy: "w" }], {
        now: T0,
      });
      await waitFor(() => [died, retried, released].every((queue) => queues.includes(queue)), {
        timeout: "5s",
        description: "wake-ups for the dead letter, the retry and the release",
      });
    } finally {
      unsubscribe();
      await Promise.all([listener.close(), worker.close()]);
    }
  });
});

// The rules of transactional enqueue every store keeps (invisible until commit, nothing after a
// rollback, wake-ups on commit only, conflicts, refused handles) are in the conformance suite
// (conformance.test.ts gives it a pool's client). Here: what is particular to pg clients.
describe("transactional enqueue on pg clients", () => {
  it("a plain pg.Client holds the transaction too; its commit wakes a LISTENing store through NOTIFY", async () => {
    const store = namedStore();
    const listener = namedStore();
    const { queues, unsubscribe } = await listeningRecorder(listener);
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const queue = uniqueName("q");
      await client.query("BEGIN");
      const [job] = await store.createJobs([newJob(queue)], { transaction: client });
      expect(await store.getJob(job!.id)).toBeNull();
      await client.query("COMMIT");
      await waitFor(() => queues.includes(queue), { timeout: "5s", description: "a wake-up on commit" });
      expect(await store.getJob(job!.id)).toMatchObject({ id: job!.id, status: "pending", queue });
    } finally {
      unsubscribe();
      await client.end();
      await Promise.all([store.close(), listener.close()]);
    }
  });

  it("rejects a pool as the transaction with InvalidArgumentError: a pool cannot hold one", async () => {
    const store = namedStore();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    try {
      const error = await store
        .createJobs([newJob("tx")], { transaction: pool })
        .catch((err: unknown) => err);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field: "transaction" });
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
