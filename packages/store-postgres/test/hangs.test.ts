import { createScheduler, type Scheduler, uuidv7Generator } from "@sched/core";
import { PrivatePostgres } from "@sched/test-servers";
import { waitFor } from "@sched/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore, type PostgresStoreOptions } from "../src/index.js";

// A server that hangs: every backend and the postmaster stopped with SIGSTOP. Connections stay
// open and nothing answers, so only timeouts end a call. Each test thaws it in afterEach.
const server = new PrivatePostgres();
const nextId = uuidv7Generator();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  await server.start();
  const store = new PostgresStore({ connectionString: server.url });
  await store.migrate();
  await store.close();
}, 60_000);
afterEach(async () => {
  server.thaw();
  await Promise.all(open.splice(0).map((item) => item.close().catch(() => {})));
});
afterAll(() => server.remove());

/** A store on the private server, closed after the test. */
function storeOf(options: PostgresStoreOptions = {}): PostgresStore {
  const store = new PostgresStore({ connectionString: server.url, ...options });
  open.push(store);
  return store;
}

function newJob(name = "hang") {
  const now = new Date();
  return {
    id: nextId(),
    name,
    payload: null,
    queue: "default",
    priority: 0,
    maxRetries: 0,
    timeout: 0,
    scheduledAt: now,
    createdAt: now,
    status: "pending" as const,
    metadata: {},
    uniqueKey: null,
  };
}

/** How long `call` takes to settle, and what it rejected with (or `undefined`). */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  let error: unknown;
  try {
    await call();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - started, error };
}

/** Slack for timers and the event loop on a busy machine, in ms. */
const SLACK_MS = 750;

describe("a store whose server hangs", () => {
  it("every call rejects with StoreTimeoutError within connectionTimeout + statementTimeout + 1 s", async () => {
    // Bound: connectionTimeout (1 s) to get a connection + statementTimeout (1 s) + the 1 s the
    // client waits beyond it = 3 s; a first call also checks the schema version (one more statement).
    const store = storeOf({ connectionTimeout: "1s", statementTimeout: "1s", poolSize: 2 });
    await Promise.all([store.ping(), store.ping()]); // two idle connections in the pool
    server.freeze();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["ping", () => store.ping()],
      ["createJobs", () => store.createJobs([newJob()])],
      [
        "claimDueJobs",
        () =>
          store.claimDueJobs({
            queues: null,
            names: ["hang"],
            limit: 10,
            now: new Date(),
            lockedUntil: new Date(Date.now() + 30_000),
            workerId: "w",
          }),
      ],
      ["epoch", () => store.epoch()],
      ["stats", () => store.stats()],
    ];
    // At once: two take the idle connections, the others wait for one (or open a new one).
    const results = await Promise.all(calls.map(([, call]) => timed(call)));
    results.forEach(({ ms, error }, i) => {
      const name = calls[i]![0];
      expect(error, name).toMatchObject({ code: "STORE_TIMEOUT" });
      expect(ms, name).toBeLessThan(3_000 + SLACK_MS);
    });
    // A store that never connected: the schema check, then the statement.
    const fresh = storeOf({ connectionTimeout: "1s", statementTimeout: "1s" });
    const first = await timed(() => fresh.getJob("x"));
    expect(first.error).toMatchObject({ code: "STORE_TIMEOUT" });
    expect(first.ms).toBeLessThan(1_000 + SLACK_MS);
    expect((first.error as Error).message).toContain(`127.0.0.1:${server.port}`);

    // Once the server answers again, the store works: connections that timed out were discarded.
    server.thaw();
    await store.ping();
    await fresh.ping();
  });

  it("a statement the server holds longer than statementTimeout is cancelled there, and the connection stays usable", async () => {
    server.thaw();
    const store = storeOf({ statementTimeout: "500ms", poolSize: 1 });
    await store.ping();
    // Another session holds the jobs table; the store's read waits for it past its limit.
    const pg = (await import("pg")).default;
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query('LOCK TABLE "public"."scheduler_jobs" IN ACCESS EXCLUSIVE MODE');
      const { ms, error } = await timed(() => store.getJob("x"));
      expect(error).toMatchObject({ code: "STORE_TIMEOUT", timeoutMs: 500 });
      expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe("57014");
      expect(ms).toBeLessThan(500 + SLACK_MS);
      await blocker.query("ROLLBACK");
      await store.ping();
    } finally {
      await blocker.end();
    }
  });

  it("close() resolves within about 2 s, with its LISTEN connection, idle connections and a statement in flight", async () => {
    const store = storeOf();
    const unsubscribe = store.subscribe(() => {});
    await Promise.all([store.ping(), store.ping(), store.stats()]);
    await waitFor(
      async () =>
        (await server.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")).rowCount === 1,
      { timeout: "5s", description: "the LISTEN connection" },
    );
    server.freeze();
    const inFlight = store.stats().catch((err: unknown) => err);
    const { ms } = await timed(() => store.close());
    expect(ms).toBeLessThan(2_000 + SLACK_MS);
    // The statement in flight failed when its socket was destroyed, well before its own timeout.
    const failure = await inFlight;
    expect(failure).toBeInstanceOf(Error);
    unsubscribe();
  });
});

describe("a scheduler whose store's server hangs", () => {
  let scheduler: Scheduler | null = null;
  afterEach(async () => {
    server.thaw();
    await scheduler?.stop({ timeout: 0 });
    scheduler = null;
  });

  /** `store`, and how many of its calls are in flight, counted through a proxy. */
  function counted(store: PostgresStore): { store: PostgresStore; inFlight: () => number } {
    let inFlight = 0;
    const proxy = new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "subscribe" || property === "close") return value.bind(target);
        return (...args: unknown[]) => {
          inFlight++;
          const result = Promise.resolve(value.apply(target, args));
          result.then(
            () => inFlight--,
            () => inFlight--,
          );
          return result;
        };
      },
    });
    return { store: proxy, inFlight: () => inFlight };
  }

  /** Starts a scheduler on `store` whose one job runs until aborted; resolves once it runs. */
  async function schedulerWithRunningJob(
    store: PostgresStore,
    options: { workers: number; pollInterval: "100ms" | "1m" },
  ): Promise<Scheduler> {
    const started = createScheduler({
      store,
      logger: quiet,
      ...options,
      distributed: { lockRefresh: "1m", lockTTL: "3m" },
    });
    scheduler = started;
    let running = false;
    started.register("hang", async (_job, ctx) => {
      running = true;
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
    });
    await started.start();
    await started.enqueue({ name: "hang", payload: null });
    await waitFor(() => running, { timeout: "10s", description: "the job to start" });
    return started;
  }

  it("stop({ timeout: '2s' }) resolves within 2 s + 1 s + 3 s while a job runs, and close() within 2 s", async () => {
    // One busy worker, and schedules, leases and maintenance looked at once a minute: the server
    // hangs once no store call is in flight (see the next test); then the job's outcome hangs.
    const { store, inFlight } = counted(storeOf());
    const running = await schedulerWithRunningJob(store, { workers: 1, pollInterval: "1m" });
    await waitFor(() => inFlight() === 0, { timeout: "5s", description: "no store call in flight" });
    server.freeze();
    const stop = await timed(() => running.stop({ timeout: "2s" }));
    expect(stop.ms).toBeLessThan(6_000 + SLACK_MS);
    const close = await timed(() => store.close());
    expect(close.ms).toBeLessThan(2_000 + SLACK_MS);
  });

  // Store calls in flight as the server hangs (a claim, the schedule runner, upkeep) must not push
  // the wait for running jobs past the timeout: stop() still ends within timeout + 1 s + 3 s.
  it("stop({ timeout: '2s' }) resolves within 2 s + 1 s + 3 s while a job runs and store calls are in flight", async () => {
    const store = storeOf();
    const running = await schedulerWithRunningJob(store, { workers: 4, pollInterval: "100ms" });
    server.freeze();
    // With free workers an enqueue wakes a claim at once, and that claim hangs, as do the
    // schedule runner's reads every 100 ms.
    const enqueued = running.enqueue({ name: "hang", payload: null }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stop = await timed(() => running.stop({ timeout: "2s" }));
    await enqueued;
    expect(stop.ms).toBeLessThan(6_000 + SLACK_MS);
  });

  it("healthCheck() rejects with STORE_TIMEOUT within its 2 s, enqueue() within storeTimeout", async () => {
    const store = storeOf();
    scheduler = createScheduler({ store, logger: quiet, storeTimeout: "1s" });
    await scheduler.start();
    const healthy = scheduler.healthCheck();
    await healthy();
    server.freeze();
    const health = await timed(() => healthy());
    expect(health.error).toMatchObject({ code: "STORE_TIMEOUT" });
    expect(health.ms).toBeLessThan(2_000 + SLACK_MS);
    const enqueue = await timed(() =>
      (scheduler as Scheduler).enqueue({ name: "anything", payload: { n: 1 } }),
    );
    expect(enqueue.error).toMatchObject({ code: "STORE_TIMEOUT" });
    expect(enqueue.ms).toBeLessThan(1_000 + SLACK_MS);
  });

  it("start() against a hung server rejects within storeTimeout, and the scheduler can start once it answers", async () => {
    const store = storeOf();
    scheduler = createScheduler({ store, logger: quiet, storeTimeout: "1500ms" });
    server.freeze();
    const start = await timed(() => (scheduler as Scheduler).start());
    expect(start.error).toMatchObject({ code: "STORE_TIMEOUT" });
    expect(start.ms).toBeLessThan(1_500 + SLACK_MS);
    expect(scheduler.status).toBe("idle");
    server.thaw();
    await scheduler.start();
    expect(scheduler.status).toBe("running");
  });
});
