// @ts-check
/**
 * @sched basics with the in-memory store: handlers, priorities, a delayed job, a unique job, a job
 * that fails, is retried with backoff and ends in the dead-letter handler, lifecycle hooks,
 * `stats()`, and a clean `stop()` after which the process exits on its own.
 *
 * Run: `pnpm --filter @sched/example-basic start` (after building @sched/core).
 */
import { createScheduler, JobAlreadyExistsError, MemoryStore } from "@sched/core";

const startedAt = Date.now();

/** Prints a line with the time since start, so the delays and backoff are visible. */
function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}

/** The end of a job id: enough to tell this example's jobs apart (the start of a UUIDv7 is its time). */
function shortId(/** @type {string} */ id) {
  return `…${id.slice(-6)}`;
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
  console.error("the example did not finish within 10 s");
  process.exit(1);
}, 10_000);
watchdog.unref();

/** @type {import("@sched/core").Hook} */
const printHooks = {
  onEnqueue(job) {
    const when = job.status === "scheduled" ? `, due in ${job.scheduledAt.getTime() - Date.now()} ms` : "";
    log(`onEnqueue  ${job.name} ${shortId(job.id)} (priority ${job.priority}${when})`);
  },
  afterJob(job, err, durationMs) {
    const outcome = err ? `failed: ${err.message}` : "completed";
    log(`afterJob   ${job.name} ${shortId(job.id)} attempt ${job.attempt} ${outcome} (${durationMs} ms)`);
  },
  onRetry(job, attempt, err) {
    const wait = job.scheduledAt.getTime() - Date.now();
    log(
      `onRetry    ${job.name} ${shortId(job.id)}: attempt ${attempt} failed (${err.message}); retrying in ~${wait} ms`,
    );
  },
  onDead(job, err) {
    log(`onDead     ${job.name} ${shortId(job.id)} is dead after ${job.attempt} attempts: ${err.message}`);
  },
};

// The store is ours: we close it at the end (the scheduler closes only a store it created).
const store = new MemoryStore();
const scheduler = createScheduler({
  store,
  // One job at a time, so that the run order shows the priorities.
  workers: 1,
  // Short delays for the demo: 200 ms, then 400 ms (each ±10% jitter).
  retry: { maxAttempts: 3, initialDelay: "200ms", multiplier: 2, maxDelay: "2s" },
  hooks: [printHooks],
  // The scheduler's own lines (a failed attempt, a dead job are warnings), in this example's log.
  logger: {
    debug() {},
    info: (message) => log(`info       ${message}`),
    warn: (message) => log(`warn       ${message}`),
    error: (message) => log(`error      ${message}`),
  },
});

const reminderRan = milestone();
const deadLettered = milestone();

scheduler.register("send_email", async (/** @type {import("@sched/core").Job<{ to: string }>} */ job) => {
  log(`handler    send_email to ${job.payload.to}`);
});

scheduler.register(
  "send_welcome",
  async (/** @type {import("@sched/core").Job<{ userId: number }>} */ job) => {
    log(`handler    send_welcome to user ${job.payload.userId}`);
  },
);

scheduler.register("reminder", async (job) => {
  log(`handler    reminder, ${Date.now() - job.scheduledAt.getTime()} ms after its due time`);
  reminderRan.reached();
});

// Always fails: 1 run + 2 retries, then dead.
scheduler.register(
  "charge_card",
  async (/** @type {import("@sched/core").Job<{ orderId: string }>} */ job, ctx) => {
    log(`handler    charge_card for order ${job.payload.orderId}, attempt ${ctx.attempt}`);
    throw new Error("card declined");
  },
  { maxRetries: 2 },
);

// The dead-letter handler: registered under the dead-letter queue's name ("dead" by default).
scheduler.register("dead", async (job) => {
  log(
    `dead-letter handler: ${job.name} ${shortId(job.id)} gave up with "${job.error}" (status ${job.status})`,
  );
  deadLettered.reached();
});

// Enqueued before start, so they wait together and run by priority: high, normal, low.
await scheduler.enqueue({ name: "send_email", payload: { to: "low@example.com" }, priority: 0 });
await scheduler.enqueue({ name: "send_email", payload: { to: "high@example.com" }, priority: 10 });
await scheduler.enqueue({ name: "send_email", payload: { to: "normal@example.com" }, priority: 5 });

// A delayed job.
await scheduler.enqueue({ name: "reminder", delay: "1s" });

// A unique job: a second job with the same key is refused while the first has not finished.
await scheduler.enqueue({ name: "send_welcome", payload: { userId: 42 }, uniqueKey: "welcome:42" });
try {
  await scheduler.enqueue({ name: "send_welcome", payload: { userId: 42 }, uniqueKey: "welcome:42" });
  log("unexpected: the duplicate was accepted");
} catch (err) {
  if (!(err instanceof JobAlreadyExistsError)) throw err;
  log(`duplicate refused: ${err.name} (${err.code}): ${err.message}`);
}

// A job that fails every time.
await scheduler.enqueue({ name: "charge_card", payload: { orderId: "A-1001" } });

await scheduler.start();
log("scheduler started");

await Promise.all([reminderRan.promise, deadLettered.promise]);

// Wait until nothing waits or runs any more, then show the counts.
for (;;) {
  const stats = await scheduler.stats();
  if (stats.pending + stats.scheduled + stats.running + stats.failed === 0) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const { byQueue: _byQueue, ...totals } = await scheduler.stats();
log(`stats      ${JSON.stringify(totals)}`);

await scheduler.stop({ timeout: "5s" });
await store.close();
log("scheduler stopped; the process exits on its own");
