// @ts-check
/**
 * @sched on MongoDB, in one script: `migrate()`, a bulk enqueue, a unique job, a job retried after
 * a failure, two instances sharing the store that elect one leader (`MongoLeader`) for a cron
 * schedule while both work the queue, `stats()`, and a clean stop. Everything lives in a database
 * of its own, dropped at the end; the process then exits on its own.
 *
 * When no MongoDB answers at SCHED_MONGODB_URL (default mongodb://127.0.0.1:27017), it says so
 * and exits with code 0.
 *
 * Run: `pnpm --filter @sched/example-with-mongodb start` (after building the packages).
 */
import { randomBytes } from "node:crypto";
import { createScheduler, JobAlreadyExistsError } from "@sched/core";
import { MongoLeader } from "@sched/leader-mongodb";
import { MongoStore } from "@sched/store-mongodb";
import { MongoClient } from "mongodb";

const server = process.env.SCHED_MONGODB_URL || "mongodb://127.0.0.1:27017";
const dbName = `example_${randomBytes(4).toString("hex")}`;
const startedAt = Date.now();

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

// The application's own client: to check that a server answers, and to drop the database at the end.
const admin = new MongoClient(server, { serverSelectionTimeoutMS: 1_500 });
try {
  await admin.db("admin").command({ ping: 1 });
} catch {
  await admin.close();
  // The host only: the URL may carry a password.
  let host = "the URL given";
  try {
    host = new URL(server).host;
  } catch {}
  console.log(
    `skipped: no MongoDB server answered at ${host} (SCHED_MONGODB_URL, default mongodb://127.0.0.1:27017)`,
  );
  process.exit(0);
}

// The example must end on its own; if it does not, say so and fail instead of hanging.
const watchdog = setTimeout(() => {
  console.error("the example did not finish within 25 s");
  process.exit(1);
}, 25_000);
watchdog.unref();

/** Warnings go to stderr, which must stay empty, except the planned retry, part of the story. */
/** @type {import("@sched/core").Logger} */
const quiet = {
  debug() {},
  info() {},
  warn(message, fields) {
    if (fields?.name === "flaky_webhook") log(`retry      ${message}`);
    else console.warn(message, fields);
  },
  error: console.error,
};

// Two instances, as two processes would be: each with its own store and leader on the same database.
const instances = ["a", "b"].map((id) => ({
  id,
  store: new MongoStore({ client: admin, dbName }),
  leader: new MongoLeader({ client: admin, dbName, instanceId: `instance-${id}`, ttl: "3s" }),
}));

try {
  await instances[0]?.store.migrate();
  log(`migrated database "${dbName}"`);

  let bulkDone = 0;
  const bulkFinished = milestone();
  const flakyDone = milestone();
  let ticks = 0;
  const twoTicks = milestone();
  /** @type {Record<string, number>} */
  const workedBy = { a: 0, b: 0 };

  const schedulers = instances.map(({ id, store, leader }) => {
    const scheduler = createScheduler({
      store,
      leader,
      workers: 5,
      pollInterval: "100ms",
      retry: { maxAttempts: 3, initialDelay: "200ms", multiplier: 2 },
      distributed: { enabled: true, instanceId: `instance-${id}`, lockTTL: "3s", lockRefresh: "1s" },
      logger: quiet,
    });
    scheduler.register("resize_image", async () => {
      workedBy[id] = (workedBy[id] ?? 0) + 1;
      if (++bulkDone === 100) bulkFinished.reached();
    });
    scheduler.register("send_receipt", async () => {});
    scheduler.register("flaky_webhook", async (_job, ctx) => {
      if (ctx.attempt === 1) {
        log("handler    flaky_webhook attempt 1 fails");
        throw new Error("HTTP 503");
      }
      log(`handler    flaky_webhook attempt ${ctx.attempt} succeeds`);
      flakyDone.reached();
    });
    return scheduler;
  });

  // Both instances define the schedule; only the leader fires it, each tick once.
  for (const scheduler of schedulers) {
    await scheduler.schedule("heartbeat", "* * * * * *", async (job) => {
      log(`tick       heartbeat scheduled ${job.scheduledAt.toISOString()}`);
      if (++ticks === 2) twoTicks.reached();
    });
  }
  await Promise.all(schedulers.map((scheduler) => scheduler.start()));
  log("two instances started");

  const [first] = schedulers;
  if (first === undefined) throw new Error("no scheduler");
  await first.enqueueMany(
    Array.from({ length: 100 }, (_, i) => ({ name: "resize_image", payload: { image: i } })),
  );
  log("bulk enqueued 100 jobs");

  await first.enqueue({ name: "send_receipt", payload: { orderId: 0 }, uniqueKey: "receipt:0", delay: "1h" });
  try {
    await first.enqueue({ name: "send_receipt", payload: { orderId: 0 }, uniqueKey: "receipt:0" });
    log("unexpected: the duplicate was accepted");
  } catch (err) {
    if (!(err instanceof JobAlreadyExistsError)) throw err;
    log(`duplicate refused: ${err.name} (${err.code})`);
  }

  await first.enqueue({ name: "flaky_webhook", payload: { url: "https://example.com/hook" } });

  await Promise.all([bulkFinished.promise, flakyDone.promise, twoTicks.promise]);
  const leaders = instances.filter(({ leader }) => leader.isLeader()).map(({ id }) => id);
  log(`leader     ${leaders.join(",")} (term ${Math.max(...instances.map(({ leader }) => leader.term))})`);
  log(`worked     a: ${workedBy.a}, b: ${workedBy.b} of the 100 bulk jobs`);
  for (const scheduler of schedulers) await scheduler.unschedule("heartbeat");

  for (;;) {
    const stats = await first.stats();
    if (stats.pending + stats.running + stats.failed === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { byQueue: _byQueue, ...totals } = await first.stats();
  log(`stats      ${JSON.stringify(totals)}`);

  await Promise.all(schedulers.map((scheduler) => scheduler.stop({ timeout: "5s" })));
  log("schedulers stopped");
} finally {
  for (const { store, leader } of instances) {
    await leader.close();
    await store.close();
  }
  await admin.db(dbName).dropDatabase();
  await admin.close();
  log(`database "${dbName}" dropped; the process exits on its own`);
}
