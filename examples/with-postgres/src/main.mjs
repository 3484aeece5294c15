// @ts-check
/**
 * @sched on PostgreSQL, in one script: `migrate()`, a bulk enqueue in one statement, a unique
 * job, a job enqueued inside the application's own transaction (committed, then rolled back), a
 * second instance whose enqueue wakes this one through LISTEN/NOTIFY, a job retried after a
 * failure, a cron schedule, `stats()`, and a clean stop. Everything lives in a schema of its own,
 * dropped at the end; the process then exits on its own.
 *
 * Run: `pnpm --filter @sched/example-with-postgres start` (after building the packages), with
 * PostgreSQL at SCHED_POSTGRES_URL (default postgres://root@127.0.0.1:5432/test).
 */
import { randomBytes } from "node:crypto";
import { createScheduler, JobAlreadyExistsError, uuidv7Generator } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import pg from "pg";

const url = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const schema = `example_${randomBytes(4).toString("hex")}`;
const startedAt = Date.now();
const newId = uuidv7Generator();

/** Prints a line with the time since start. */
function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}

/** A promise and the function that resolves it: "this has happened". */
function milestone() {
  /** @type {() => void} */
  let reached = () => {};
  /** @type {Promise<void>} */
  const promise = new Promise((resolve) => {
    reached = resolve;
  });
  return { promise, reached };
}

// The example must end on its own; if it does not, say so and fail instead of hanging.
const watchdog = setTimeout(() => {
  console.error("the example did not finish within 20 s");
  process.exit(1);
}, 20_000);
watchdog.unref();

// The application's own pool, for its own tables and transactions. The store gets its own pool
// from the connection string (and closes it in close()); it could share this one with { pool }.
const appPool = new pg.Pool({ connectionString: url, max: 2 });
appPool.on("error", () => {});

const store = new PostgresStore({ connectionString: url, schema });
// A second instance, as another process would be: its enqueues reach the worker by NOTIFY.
const otherInstance = new PostgresStore({ connectionString: url, schema });

/**
 * Warnings and errors go to stderr, which must stay empty, except the one warning the webhook's
 * planned failure causes: the scheduler logs each retry as a warning. That one is part of the story.
 * @type {import("@sched/core").Logger}
 */
const quiet = {
  debug() {},
  info() {},
  warn(message, fields) {
    if (fields?.name === "flaky_webhook") log(`retry      ${message}`);
    else console.warn(message, fields);
  },
  error: console.error,
};

try {
  await store.migrate();
  await otherInstance.ping(); // connected and schema checked, as a long-running instance would be
  log(`migrated schema "${schema}" (tables scheduler_jobs, scheduler_schedules, scheduler_locks)`);
  await appPool.query(`CREATE TABLE "${schema}".orders (id serial PRIMARY KEY, total integer NOT NULL)`);

  const scheduler = createScheduler({
    store,
    workers: 10,
    // Long on purpose: every job below starts because of a wake-up, not a poll.
    pollInterval: "30s",
    retry: { maxAttempts: 3, initialDelay: "200ms", multiplier: 2 },
    logger: quiet,
  });

  let bulkDone = 0;
  const bulkFinished = milestone();
  scheduler.register("resize_image", async () => {
    if (++bulkDone === 100) bulkFinished.reached();
  });

  const receiptRan = milestone();
  scheduler.register(
    "send_receipt",
    async (/** @type {import("@sched/core").Job<{ orderId: number }>} */ job) => {
      log(`handler    send_receipt for order ${job.payload.orderId}`);
      receiptRan.reached();
    },
  );

  const remoteRan = milestone();
  /** @type {number} */
  let remoteEnqueuedAt = 0;
  scheduler.register("from_elsewhere", async () => {
    log(
      `handler    from_elsewhere, woken by NOTIFY ${Date.now() - remoteEnqueuedAt} ms after the other instance's enqueue`,
    );
    remoteRan.reached();
  });

  const flakyDone = milestone();
  scheduler.register("flaky_webhook", async (_job, ctx) => {
    if (ctx.attempt === 1) {
      log("handler    flaky_webhook attempt 1 fails");
      throw new Error("HTTP 503");
    }
    log(`handler    flaky_webhook attempt ${ctx.attempt} succeeds`);
    flakyDone.reached();
  });

  let ticks = 0;
  const twoTicks = milestone();
  await scheduler.schedule("heartbeat", "* * * * * *", async (job) => {
    log(`tick       heartbeat scheduled ${job.scheduledAt.toISOString()}`);
    if (++ticks === 2) twoTicks.reached();
  });

  await scheduler.start();
  log("scheduler started");

  // 100 jobs, one INSERT statement.
  await scheduler.enqueueMany(
    Array.from({ length: 100 }, (_, i) => ({ name: "resize_image", payload: { image: i }, queue: "images" })),
  );
  log("bulk enqueued 100 jobs in one statement");

  // A unique job: the database refuses a second job with the same key while the first is unfinished.
  await scheduler.enqueue({
    name: "send_receipt",
    payload: { orderId: 0 },
    uniqueKey: "receipt:0",
    delay: "1h",
  });
  try {
    await scheduler.enqueue({ name: "send_receipt", payload: { orderId: 0 }, uniqueKey: "receipt:0" });
    log("unexpected: the duplicate was accepted");
  } catch (err) {
    if (!(err instanceof JobAlreadyExistsError)) throw err;
    log(`duplicate refused: ${err.name} (${err.code})`);
  }

  // Transactional enqueue: the order and its receipt job commit together...
  const client = await appPool.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query(`INSERT INTO "${schema}".orders (total) VALUES (42) RETURNING id`);
    await scheduler.enqueue(
      { name: "send_receipt", payload: { orderId: rows[0].id } },
      { transaction: client },
    );
    await client.query("COMMIT");
    log(`transaction committed: order ${rows[0].id} and its receipt job exist`);

    // ...or not at all.
    await client.query("BEGIN");
    const rolledBack = await scheduler.enqueue(
      { name: "send_receipt", payload: { orderId: -1 } },
      { transaction: client },
    );
    await client.query("ROLLBACK");
    log(
      `transaction rolled back: job ${rolledBack.id.slice(-6)} exists? ${(await scheduler.getJob(rolledBack.id)) !== null}`,
    );
  } finally {
    client.release();
  }

  await scheduler.enqueue({ name: "flaky_webhook", payload: { url: "https://example.com/hook" } });

  await Promise.all([bulkFinished.promise, receiptRan.promise, flakyDone.promise, twoTicks.promise]);
  await scheduler.unschedule("heartbeat");
  log("bulk jobs, the receipt, the retried webhook and two ticks are done; heartbeat unscheduled");

  // Another instance enqueues; this one has no poll due for 30 s and nothing else going on, so
  // only the NOTIFY can wake it.
  remoteEnqueuedAt = Date.now();
  await otherInstance.createJobs([
    {
      id: newId(),
      name: "from_elsewhere",
      payload: null,
      queue: "default",
      priority: 0,
      maxRetries: 0,
      timeout: 10_000,
      scheduledAt: new Date(),
      createdAt: new Date(),
      status: "pending",
      metadata: {},
      uniqueKey: null,
    },
  ]);

  await remoteRan.promise;

  // Wait until nothing due waits or runs (the unique job is due in an hour), then show the counts.
  for (;;) {
    const stats = await scheduler.stats();
    if (stats.pending + stats.running + stats.failed === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { byQueue: _byQueue, ...totals } = await scheduler.stats();
  log(`stats      ${JSON.stringify(totals)}`);

  await scheduler.stop({ timeout: "5s" });
  log("scheduler stopped");
} finally {
  await Promise.all([store.close(), otherInstance.close()]);
  await appPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await appPool.end();
  log(`schema "${schema}" dropped; the process exits on its own`);
}
