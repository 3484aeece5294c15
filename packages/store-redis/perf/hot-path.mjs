// The store's hot path alone (not a test): enqueue N jobs in batches of 1,000, then claim them
// 50 at a time and complete each batch, timing each phase. Run after `pnpm build`:
// node perf/hot-path.mjs [N] [rounds]. STORE_DIST names another build to measure (a path
// relative to this file), to compare two versions on one server.
import { Redis } from "ioredis";

const { RedisStore } = await import(process.env.STORE_DIST ?? "../dist/index.js");

const total = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const url = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";

async function round(r) {
  const keyPrefix = `sched-hot:${process.pid}:${r}:`;
  const store = new RedisStore({ url, keyPrefix });
  const now = new Date(1_700_000_000_000);
  let started = performance.now();
  for (let i = 0; i < total; i += 1_000) {
    const batch = [];
    for (let n = i; n < Math.min(total, i + 1_000); n++) {
      batch.push({
        id: `job-${String(n).padStart(8, "0")}`,
        queue: "default",
        name: "noop",
        payload: { n },
        priority: 0,
        maxRetries: 3,
        timeout: 30_000,
        scheduledAt: now,
        createdAt: now,
        status: "pending",
        metadata: {},
        uniqueKey: null,
      });
    }
    await store.createJobs(batch);
  }
  const enqueue = (performance.now() - started) / 1000;
  let claimSeconds = 0;
  let completeSeconds = 0;
  let done = 0;
  for (;;) {
    started = performance.now();
    const jobs = await store.claimDueJobs({
      queues: ["default"],
      names: null,
      limit: 50,
      now,
      lockedUntil: new Date(now.getTime() + 60_000),
      workerId: "w",
    });
    claimSeconds += (performance.now() - started) / 1000;
    if (jobs.length === 0) break;
    started = performance.now();
    await store.completeJobs(
      jobs.map((job) => ({ id: job.id, queue: job.queue, attempt: job.attempt, lockedBy: "w" })),
      { now, removeOnComplete: false },
    );
    completeSeconds += (performance.now() - started) / 1000;
    done += jobs.length;
  }
  await store.close();
  const admin = new Redis(url);
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== "0");
  await admin.quit();
  if (done !== total) throw new Error(`processed ${done} of ${total}`);
  return {
    enqueuePerSecond: Math.round(total / enqueue),
    claimPerSecond: Math.round(total / claimSeconds),
    completePerSecond: Math.round(total / completeSeconds),
  };
}

for (let r = 0; r < rounds; r++) console.log(JSON.stringify({ jobs: total, ...(await round(r)) }));
