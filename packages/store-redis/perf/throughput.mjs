// Throughput of the Redis store through the scheduler (not a test): bulk-enqueue N no-op jobs,
// then process them with 50 workers. Run after `pnpm build`: node perf/throughput.mjs [N]
import { createScheduler } from "@sched/core";
import { Redis } from "ioredis";
import { RedisStore } from "../dist/index.js";

const total = Number(process.argv[2] ?? 20_000);
const url = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `sched-perf:${process.pid}:`;
const quiet = { debug() {}, info() {}, warn() {}, error: console.error };

const store = new RedisStore({ url, keyPrefix });
const scheduler = createScheduler({ store, workers: 50, logger: quiet });
let done = 0;
let finish;
const finished = new Promise((resolve) => {
  finish = resolve;
});
scheduler.register("noop", () => {
  if (++done === total) finish();
});

const jobs = Array.from({ length: total }, (_, n) => ({ name: "noop", payload: { n } }));
let started = performance.now();
for (let i = 0; i < total; i += 1_000) await scheduler.enqueueMany(jobs.slice(i, i + 1_000));
const enqueueSeconds = (performance.now() - started) / 1000;

started = performance.now();
await scheduler.start();
await finished;
const processSeconds = (performance.now() - started) / 1000;
await scheduler.stop();
await store.close();

console.log(
  JSON.stringify({
    jobs: total,
    enqueuePerSecond: Math.round(total / enqueueSeconds),
    processedPerSecond: Math.round(total / processSeconds),
  }),
);

const admin = new Redis(url);
let cursor = "0";
do {
  const [next, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
  cursor = next;
  if (keys.length > 0) await admin.del(...keys);
} while (cursor !== "0");
await admin.quit();
