// The memory a retained job takes in Redis (not a test): runs N small jobs to completion through the
// scheduler (completedRetention 24 h, so they stay), then adds up `MEMORY USAGE` of every job hash
// and of the queue's indexes that hold them (`Q:completed`, `Q:created`), and divides by N. Also
// reports the growth of `used_memory` (INFO memory), which includes what MEMORY USAGE does not see
// (the entries of the keyspace and of the expiry dictionary), on a server nothing else writes to.
// Run after `pnpm build`: SCHED_REDIS_URL=redis://127.0.0.1:6379 node perf/job-memory.mjs [N] [padding]
// (`padding`: characters added to each payload, default 0).
import { createScheduler } from "@sched/core";
import { Redis } from "ioredis";
import { RedisStore } from "../dist/index.js";

const total = Number(process.argv[2] ?? 10_000);
const padding = "x".repeat(Number(process.argv[3] ?? 0));
const url = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `sched-memory:${process.pid}:`;
const quiet = { debug() {}, info() {}, warn() {}, error: console.error };
const admin = new Redis(url);

/** Every key of the prefix. */
async function keys() {
  const found = [];
  let cursor = "0";
  do {
    const [next, batch] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  return found;
}

async function usedMemory() {
  const info = await admin.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

const store = new RedisStore({ url, keyPrefix });
const scheduler = createScheduler({ store, workers: 50, logger: quiet, completedRetention: "24h" });
let done = 0;
let finish;
const finished = new Promise((resolve) => {
  finish = resolve;
});
scheduler.register("send_email", () => {
  if (++done === total) finish();
});

// Warm the prefix up (queue set, counts, epoch), so that only the jobs are measured.
await store.ping();
await store.epoch();
await store.createJobs([]);
const before = await usedMemory();
// A typical small job: a name, a payload of a few fields, no metadata, no unique key.
const jobs = Array.from({ length: total }, (_, n) => ({
  name: "send_email",
  payload:
    padding === ""
      ? { to: `user${n}@example.com`, template: "welcome" }
      : { to: `user${n}@example.com`, template: "welcome", padding },
}));
for (let i = 0; i < total; i += 1_000) await scheduler.enqueueMany(jobs.slice(i, i + 1_000));
await scheduler.start();
await finished;
await scheduler.stop();

let hashes = 0;
let indexes = 0;
let jobKeys = 0;
const breakdown = {};
for (const key of await keys()) {
  const bytes = Number(await admin.memory("USAGE", key, "SAMPLES", "0"));
  if (key.includes("}:job:")) {
    hashes += bytes;
    jobKeys++;
  } else {
    const name = key.slice(key.lastIndexOf(":") + 1);
    breakdown[name] = bytes;
    if (name === "completed" || name === "created") indexes += bytes;
  }
}
const after = await usedMemory();
const sample = (await keys()).find((key) => key.includes("}:job:"));
const encoding = await admin.object("ENCODING", sample);
const fields = await admin.hlen(sample);

for (const key of await keys()) await admin.del(key);
await store.close();
await admin.quit();

console.log(
  JSON.stringify(
    {
      jobs: total,
      payloadBytes: JSON.stringify(jobs[0].payload).length,
      jobHashes: jobKeys,
      hashEncoding: encoding,
      hashFields: fields,
      bytesPerJobHash: Math.round(hashes / total),
      bytesPerJobInIndexes: Math.round(indexes / total),
      bytesPerJob: Math.round((hashes + indexes) / total),
      usedMemoryGrowthPerJob: Math.round((after - before) / total),
      otherKeys: breakdown,
    },
    null,
    2,
  ),
);
