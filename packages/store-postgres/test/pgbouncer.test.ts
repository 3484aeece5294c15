// PostgresStore behind PgBouncer in transaction mode (`pool_mode = transaction`): a private
// PgBouncer on a free port in front of the test server. The conformance suite runs through it in
// pgbouncer-conformance.test.ts; these tests show each path and what breaks without the options.
import { createScheduler, type NewJobRecord } from "@sched/core";
import { PrivatePgBouncer } from "@sched/test-servers";
import { recordingLogger, waitFor } from "@sched/testing";
import { newJob as fixtureJob } from "@sched/testing/conformance";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore, type PostgresStoreOptions, SCHEMA_VERSION } from "../src/index.js";
import { isListening, POSTGRES_URL, TestSchemas, uniqueName } from "./helpers.js";

const bouncer = new PrivatePgBouncer({ target: POSTGRES_URL, poolSize: 10 });
const schemas = new TestSchemas();
const T0 = new Date("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
let schema: string;

/** Stores a test opened, closed after it. */
const opened: PostgresStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

beforeAll(async () => {
  await bouncer.start();
  schema = schemas.name("sched_bouncer");
  await track(pooled()).migrate();
}, 60_000);

afterAll(async () => {
  await schemas.dropAll();
  await bouncer.remove();
});

function track(store: PostgresStore): PostgresStore {
  opened.push(store);
  return store;
}

/** A store whose statements go through PgBouncer, in transaction mode, on the file's schema. */
function pooled(options: PostgresStoreOptions = {}): PostgresStore {
  return track(
    new PostgresStore({
      connectionString: bouncer.url,
      poolMode: "transaction",
      schema,
      poolSize: 4,
      applicationName: uniqueName("sched_bouncer"),
      ...options,
    }),
  );
}

/** The direct URL with an `application_name` of its own, to find the connection that uses it. */
function directUrl(applicationName: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("application_name", applicationName);
  return url.toString();
}

function newJob(queue: string, overrides: Partial<NewJobRecord> = {}): NewJobRecord {
  return fixtureJob({ name: "bounced", queue, timeout: 60_000, ...overrides });
}

/** The application names of PgBouncer's clients now (`SHOW CLIENTS`). */
async function bouncerClients(): Promise<string[]> {
  const rows = await bouncer.admin("SHOW CLIENTS");
  return rows.map((row) => String(row.application_name ?? ""));
}

describe("PostgresStore behind PgBouncer in transaction mode", () => {
  it("without poolMode PgBouncer refuses the store's connections, and the error says to set poolMode", async () => {
    const store = track(new PostgresStore({ connectionString: bouncer.url, schema, poolSize: 1 }));
    // pg sends statement_timeout at connection start; PgBouncer only keeps a few settings per client.
    await expect(store.ping()).rejects.toThrow(
      /refused the connection \(.*\): unsupported startup parameter: statement_timeout.*poolMode: "transaction"/,
    );
    // With it, the same server works.
    await expect(pooled().ping()).resolves.toBeUndefined();
  });

  it("migrate() runs through PgBouncer: two instances migrating a new schema at once apply each migration once", async () => {
    const fresh = schemas.name("sched_bouncer_mig");
    const [a, b] = [pooled({ schema: fresh }), pooled({ schema: fresh })];
    await Promise.all([a.migrate(), b.migrate()]);
    const { rows } = await schemas.admin.query<{ version: number }>(
      `SELECT version FROM "${fresh}".scheduler_migrations ORDER BY version`,
    );
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    await expect(a.ping()).resolves.toBeUndefined();
  });

  it("enqueue, claim, complete, fail and retry, listJobs and stats run through PgBouncer", async () => {
    const store = pooled();
    const queue = uniqueName("q");
    const [first, second] = [newJob(queue), newJob(queue)];
    await store.createJobs([first, second]);
    const claim = {
      queues: [queue],
      names: null,
      limit: 10,
      now: T0,
      lockedUntil: at(60_000),
      workerId: "w1",
    };
    const claimed = await store.claimDueJobs(claim);
    expect(claimed.map((job) => job.id).sort()).toEqual([first.id, second.id].sort());
    const refs = claimed.map((job) => ({ id: job.id, queue, attempt: job.attempt, lockedBy: "w1" }));
    const [firstRef, secondRef] = [
      refs.find((ref) => ref.id === first.id),
      refs.find((ref) => ref.id === second.id),
    ];
    expect(await store.completeJobs([firstRef!], { now: at(1) })).toEqual([true]);
    const failed = await store.failJob(secondRef!, { now: at(2), error: "boom", retryAt: at(1_000) });
    expect(failed).toMatchObject({ status: "failed", retryCount: 1, error: "boom" });
    // Not due yet, then due: the retry is claimed again with the next attempt.
    expect(await store.claimDueJobs({ ...claim, now: at(500) })).toEqual([]);
    const [retried] = await store.claimDueJobs({ ...claim, now: at(1_000), lockedUntil: at(61_000) });
    expect(retried).toMatchObject({ id: second.id, attempt: 2 });
    expect(
      await store.completeJobs([{ id: second.id, queue, attempt: 2, lockedBy: "w1" }], { now: at(1_001) }),
    ).toEqual([true]);
    const page = await store.listJobs({ queue, status: "completed" });
    expect(page.jobs.map((job) => job.id).sort()).toEqual([first.id, second.id].sort());
    expect((await store.stats()).byQueue?.[queue]).toMatchObject({ completed: 2, failed: 0, running: 0 });
    // They really went through PgBouncer: it lists the store's connections as its clients.
    expect(await bouncerClients()).toContain(store.applicationName);
  });

  it("an enqueue inside the application's transaction through PgBouncer commits or rolls back with it", async () => {
    const store = pooled();
    const queue = uniqueName("q");
    const client = new (await import("pg")).default.Client({ connectionString: bouncer.url });
    await client.connect();
    try {
      await client.query("BEGIN");
      const [kept] = await store.createJobs([newJob(queue)], { transaction: client });
      await client.query("COMMIT");
      await client.query("BEGIN");
      await store.createJobs([newJob(queue)], { transaction: client });
      await client.query("ROLLBACK");
      const page = await store.listJobs({ queue });
      expect(page.jobs.map((job) => job.id)).toEqual([kept?.id]);
    } finally {
      await client.end();
    }
  });

  it("wake-ups from other instances arrive on the LISTEN connection to PostgreSQL given as listenConnectionString", async () => {
    const listenName = uniqueName("sched_direct");
    const listener = pooled({ listenConnectionString: directUrl(listenName) });
    const producer = pooled();
    expect(listener.capabilities.pushedEvents).toBe(true);
    const queues: string[] = [];
    const unsubscribe = listener.subscribe((event) => {
      if (event.type === "jobs") queues.push(event.queue);
    });
    try {
      // The LISTEN runs on a direct connection: the one named by listenConnectionString.
      await waitFor(() => isListening(schemas.admin, listenName), {
        timeout: "5s",
        description: "the direct LISTEN connection",
      });
      const queue = uniqueName("q");
      await producer.createJobs([newJob(queue)]);
      await waitFor(() => queues.includes(queue), { timeout: "5s", description: "the wake-up" });
    } finally {
      unsubscribe();
    }
  });

  it("the cancel of a running job reaches the instance running it through the direct LISTEN connection, and fences its attempt off", async () => {
    const listenName = uniqueName("sched_direct");
    const runner = pooled({ listenConnectionString: directUrl(listenName) });
    const canceller = pooled();
    const cancelled: string[] = [];
    const unsubscribe = runner.subscribe((event) => {
      if (event.type === "cancelled") cancelled.push(`${event.id}/${event.attempt}`);
    });
    try {
      await waitFor(() => isListening(schemas.admin, listenName), { timeout: "5s" });
      const queue = uniqueName("q");
      const job = newJob(queue);
      await runner.createJobs([job]);
      const [running] = await runner.claimDueJobs({
        queues: [queue],
        names: null,
        limit: 1,
        now: T0,
        lockedUntil: at(60_000),
        workerId: "runner",
      });
      expect(running?.status).toBe("running");
      expect((await canceller.cancelJob(job.id, at(10)))?.status).toBe("cancelled");
      await waitFor(() => cancelled.includes(`${job.id}/1`), {
        timeout: "5s",
        description: "the cancel event",
      });
      const ref = { id: job.id, queue, attempt: 1, lockedBy: "runner" };
      expect(await runner.completeJobs([ref], { now: at(20) })).toEqual([false]);
    } finally {
      unsubscribe();
    }
  });

  it("without listenConnectionString nothing LISTENs: pushedEvents is false, the store hears its own changes, and a scheduler finds other instances' jobs by polling", async () => {
    const worker = pooled();
    const producer = pooled();
    expect(worker.capabilities).toEqual({
      transactions: true,
      pushedEvents: false,
      largeClaims: true,
      wholePrefetchClaims: true,
    });
    const own: string[] = [];
    const unsubscribe = worker.subscribe((event) => {
      if (event.type === "jobs") own.push(event.queue);
    });
    const queue = uniqueName("q");
    await worker.createJobs([newJob(queue)]);
    unsubscribe();
    expect(own).toEqual([queue]);
    expect(await isListening(schemas.admin, worker.applicationName)).toBe(false);

    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const scheduler = createScheduler({ store: worker, logger: quiet, pollInterval: "100ms" });
    const ran: string[] = [];
    scheduler.register("polled", (job) => {
      ran.push(job.id);
    });
    await scheduler.start();
    try {
      const [job] = await producer.createJobs([
        newJob("default", { name: "polled", scheduledAt: new Date() }),
      ]);
      await waitFor(() => ran.includes(job?.id ?? ""), {
        timeout: "10s",
        description: "the polled job to run",
      });
    } finally {
      await scheduler.stop();
    }
  });
});

describe("LISTEN through a transaction pool (what listenConnectionString avoids)", () => {
  // PgBouncer told to ignore statement_timeout, as is often advised: the store connects in session
  // mode and LISTENs through the pool.
  const lenient = new PrivatePgBouncer({
    target: POSTGRES_URL,
    poolSize: 4,
    settings: { ignore_startup_parameters: "extra_float_digits,statement_timeout" },
  });
  beforeAll(() => lenient.start(), 60_000);
  afterAll(() => lenient.remove());

  it("a LISTEN sent through PgBouncer hears nothing, while one on a direct connection hears the same wake-up", async () => {
    const logger = recordingLogger();
    const throughPool = track(
      new PostgresStore({
        connectionString: lenient.url,
        schema,
        poolSize: 2,
        applicationName: uniqueName("sched_lenient"),
        logger,
      }),
    );
    const directName = uniqueName("sched_direct");
    const direct = pooled({ listenConnectionString: directUrl(directName) });
    const producer = pooled();
    const heardThroughPool: string[] = [];
    const heardDirectly: string[] = [];
    const unsubscribers = [
      throughPool.subscribe((event) => {
        if (event.type === "jobs") heardThroughPool.push(event.queue);
      }),
      direct.subscribe((event) => {
        if (event.type === "jobs") heardDirectly.push(event.queue);
      }),
    ];
    try {
      await waitFor(() => isListening(schemas.admin, directName), { timeout: "5s" });
      // The LISTEN went through PgBouncer to some server session, which PgBouncer then handed back
      // to its pool: the probe the store then sends through its pool never reaches the listener,
      // and the store says so.
      await waitFor(() => logger.lines.some((line) => line.message.includes("hears none")), {
        timeout: "8s",
        description: "the store's warning that the LISTEN through PgBouncer hears nothing",
      });
      const queue = uniqueName("q");
      await producer.createJobs([newJob(queue)]);
      await waitFor(() => heardDirectly.includes(queue), {
        timeout: "5s",
        description: "the direct wake-up",
      });
      // Give the pooled listener as long again as the direct one took, and more.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(heardThroughPool).not.toContain(queue);
    } finally {
      for (const unsubscribe of unsubscribers) unsubscribe();
    }
  });
});
