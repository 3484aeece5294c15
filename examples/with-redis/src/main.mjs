// @ts-check
/**
 * @sched on Redis, in one script: a bulk enqueue in one script call, a unique job, a second
 * instance whose enqueue wakes this one through the store's pub/sub event, a job retried after
 * a failure, a cron schedule, `stats()`, cleanup, and a clean stop. Every key lives under a
 * prefix of its own and is deleted at the end; the process then exits on its own.
 *
 * Run: `pnpm --filter @sched/example-with-redis start` (after building the packages), with Redis
 * at SCHED_REDIS_URL (default redis://127.0.0.1:6379).
 */
import { randomBytes } from "node:crypto";
import { createScheduler, JobAlreadyExistsError } from "@sched/core";
import { RedisStore } from "@sched/store-redis";
import { Redis } from "ioredis";

const url = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `example-${randomBytes(4).toString("hex")}:`;
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

// The example must end on its own; if it does not, say so and fail instead of hanging.
const watchdog = setTimeout(() => {
  console.error("the example did not finish within 20 s");
  process.exit(1);
}, 20_000);
watchdog.unref();

// The application's own client (it could be a Cluster); the store leaves it open on close().
const client = new Redis(url);
const store = new RedisStore({ client, keyPrefix });
// A second instance, as another process would be, with a client of its own made from the URL.
const otherInstance = new RedisStore({ url, keyPrefix });
// Warnings (such as the flaky job's retry) are part of the story: printed like the other lines.
const quiet = {
  debug() {},
  info() {},
  warn: (/** @type {string} */ message) => log(`warning: ${message}`),
  error: console.error,
};

try {
  const scheduler = createScheduler({
    store,
    workers: 10,
    // Long on purpose: the jobs below start because of a pushed event, not a poll.
    pollInterval: "30s",
    retry: { maxAttempts: 3, initialDelay: "200ms", multiplier: 2 },
    logger: quiet,
  });

  const bulkDone = milestone();
  let bulkRan = 0;
  scheduler.register("resize", async () => {
    if (++bulkRan === 100) bulkDone.reached();
  });

  const retried = milestone();
  scheduler.register("flaky", async (_job, ctx) => {
    if (ctx.attempt === 1) throw new Error("first attempt fails");
    log(`flaky job succeeded on attempt ${ctx.attempt}`);
    retried.reached();
  });

  const woken = milestone();
  scheduler.register("from-other-instance", async () => woken.reached());

  const ticked = milestone();
  await scheduler.schedule("heartbeat", "* * * * * *", async (job) => {
    log(`cron tick for ${job.scheduledAt.toISOString()}`);
    ticked.reached();
  });

  await scheduler.start();
  log(`started with key prefix "${keyPrefix}"`);

  await scheduler.enqueueMany(Array.from({ length: 100 }, (_, n) => ({ name: "resize", payload: { n } })));
  await bulkDone.promise;
  log("100 bulk-enqueued jobs ran");

  await scheduler.enqueue({ name: "resize", payload: { n: -1 }, uniqueKey: "nightly-resize", delay: "1h" });
  try {
    await scheduler.enqueue({ name: "resize", payload: { n: -2 }, uniqueKey: "nightly-resize" });
  } catch (err) {
    if (!(err instanceof JobAlreadyExistsError)) throw err;
    log(`a second job with uniqueKey "${err.uniqueKey}" was refused (${err.code})`);
  }

  await scheduler.enqueue({ name: "flaky" });
  await retried.promise;

  const other = createScheduler({ store: otherInstance, logger: quiet });
  await other.enqueue({ name: "from-other-instance" });
  await woken.promise;
  log("a job enqueued by another instance started through a wake-up");

  await ticked.promise;
  const stats = await scheduler.stats();
  log(`stats: ${stats.completed} completed, ${stats.scheduled} scheduled, ${stats.pending} pending`);

  await scheduler.stop({ timeout: "5s" });
  const far = new Date(Date.now() + 86_400_000);
  const removed = await store.cleanup({ completedBefore: far, deadBefore: far, cancelledBefore: far });
  log(`cleanup removed ${removed} finished jobs`);
} finally {
  await Promise.all([store.close(), otherInstance.close()]);
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
  await client.quit();
}
log("stopped, keys deleted; the process exits on its own");
