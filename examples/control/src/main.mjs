// @ts-check
/**
 * @sched queue controls on the in-memory store, each printed as it happens:
 *
 * 1. a queue `api` where each tenant (the job's `group`) runs one job at a time and the whole queue
 *    starts at most 4 jobs per second;
 * 2. a paused queue `emails`: its jobs wait until `resumeQueue`;
 * 3. a handler that meets an external rate limit and throws `rateLimited("1s")`: its tenant waits a
 *    second, without using a retry;
 * 4. deduplication windows: `throttle` keeps the first job of a window, `debounce` folds a burst
 *    into one run with the latest payload;
 * 5. `listQueues()` with each queue's state, limits and counts;
 * 6. a schedule you can steer: a per-second cron whose run lasts 1.5 s with `overlap: "skip"` (no
 *    tick while the last run is not final), an extra run by `triggerSchedule`, the next runs by
 *    `previewSchedule`, and `pauseSchedule`.
 *
 * The same calls hold across any number of instances on PostgreSQL, Redis or MongoDB: the store
 * enforces every limit at claim time. Run: `pnpm --filter @sched/example-control start`.
 */
import { createScheduler, rateLimited } from "@sched/core";

const startedAt = Date.now();
/** Prints a line with the time since start. */
function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

const watchdog = setTimeout(() => {
  console.error("the example did not finish in time");
  process.exit(1);
}, 20_000);
watchdog.unref();

const scheduler = createScheduler({ workers: 8, pollInterval: "100ms" });

// 1. One job at a time per tenant, 4 starts per second for the queue.
await scheduler.configureQueue("api", { rateLimit: { max: 4, per: "1s" }, group: { concurrency: 1 } });
/** @type {Map<string, number>} */
const runningByTenant = new Map();
scheduler.register(
  "sync_tenant",
  async (job) => {
    const tenant = /** @type {string} */ (job.group);
    const running = (runningByTenant.get(tenant) ?? 0) + 1;
    runningByTenant.set(tenant, running);
    log(
      `start sync_tenant ${tenant} #${/** @type {{ n: number }} */ (job.payload).n} (running for ${tenant}: ${running}) at ${Date.now()}`,
    );
    await sleep(150);
    runningByTenant.set(tenant, (runningByTenant.get(tenant) ?? 1) - 1);
  },
  { queue: "api" },
);

// 2. A paused queue.
scheduler.register(
  "send_email",
  (job) => {
    log(`sent email to ${/** @type {{ to: string }} */ (job.payload).to}`);
  },
  { queue: "emails" },
);

// 3. A handler pushed back by an external service.
let answeredTooManyRequests = false;
scheduler.register("call_partner", (job) => {
  if (!answeredTooManyRequests) {
    answeredTooManyRequests = true;
    log(`call_partner for ${job.group}: 429 Too Many Requests; its tenant waits 1s`);
    throw rateLimited("1s");
  }
  log(`call_partner for ${job.group}: ok (attempt ${job.attempt}, retries used ${job.retryCount})`);
});

// 4. Deduplication windows.
scheduler.register("reindex", (job) => {
  log(`reindex ran once with payload ${JSON.stringify(job.payload)}`);
});

// 6. A steerable schedule: each run lasts 1.5 s, so with overlap "skip" every other tick is skipped.
await scheduler.schedule(
  "report",
  "* * * * * *",
  async (job) => {
    log(`report run (${job.metadata["sched.origin"] ?? "tick"}) for ${job.metadata["sched.tick"]}`);
    await sleep(1_500);
  },
  { overlap: "skip" },
);

await scheduler.start();
const preview = await scheduler.previewSchedule("report", 3);
log(`report next runs: ${preview.map((date) => date.toISOString()).join(", ")}`);
await scheduler.triggerSchedule("report");

for (let n = 1; n <= 3; n++) {
  for (const tenant of ["acme", "globex", "initech"]) {
    await scheduler.enqueue({ name: "sync_tenant", group: tenant, payload: { n } });
  }
}

await scheduler.pauseQueue("emails");
await scheduler.enqueue({ name: "send_email", payload: { to: "ada@example.com" } });
log("emails is paused; one email waits");

await scheduler.enqueue({ name: "call_partner", group: "partner-7" });

const first = await scheduler.enqueue({
  name: "reindex",
  payload: { v: 1 },
  dedupe: { key: "search", ttl: "5s" },
});
const second = await scheduler.enqueue({
  name: "reindex",
  payload: { v: 2 },
  dedupe: { key: "search", ttl: "5s" },
});
log(`throttle: second enqueue returned the first job: ${second.id === first.id}`);
for (const v of [1, 2, 3]) {
  await scheduler.enqueue({
    name: "reindex",
    payload: { doc: 7, v },
    dedupe: { key: "doc:7", ttl: "300ms", mode: "debounce", maxWait: "2s" },
  });
}
log("debounce: three enqueues for doc:7 within 300 ms");

await sleep(1_200);
const waiting = (await scheduler.getQueue("emails")).counts.pending;
log(`resuming emails (${waiting} waiting)`);
await scheduler.resumeQueue("emails");

await sleep(2_000);
await scheduler.pauseSchedule("report");
log(`report paused: ${(await scheduler.getSchedule("report"))?.paused}`);
for (const queue of await scheduler.listQueues()) {
  const limits = [
    queue.paused ? "paused" : "active",
    queue.rateLimit ? `rate ${queue.rateLimit.max}/${queue.rateLimit.per}ms` : null,
    queue.group?.concurrency ? `group concurrency ${queue.group.concurrency}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  log(
    `queue ${queue.name.padEnd(8)} ${limits}; completed ${queue.counts.completed}, pending ${queue.counts.pending}`,
  );
}

await scheduler.stop();
log("scheduler stopped; the process exits on its own");
