// @ts-check
/**
 * Several instances of one app (`src/app.mjs`), each a child process, sharing one PostgreSQL store:
 * one of them is elected leader and fires the cron schedule (enqueues each tick's job, once); every
 * instance works the queue, tick jobs included. This script starts three instances, enqueues 60 jobs, waits for them and for three
 * ticks, stops the instances with SIGTERM and prints what each one did. Everything lives in a
 * schema of its own, dropped at the end.
 *
 * Run: `pnpm --filter @sched/example-distributed start` (after building the packages), with
 * PostgreSQL at SCHED_POSTGRES_URL (default postgres://root@127.0.0.1:5432/test).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createScheduler } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import pg from "pg";

const connectionString = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const schema = `example_${randomBytes(4).toString("hex")}`;
const APP = fileURLToPath(new URL("./app.mjs", import.meta.url));
const INSTANCES = ["web-1", "web-2", "web-3"];
const JOBS = 60;
const startedAt = Date.now();

function log(/** @type {string} */ message) {
  console.log(`[+${String(Date.now() - startedAt).padStart(5)} ms] ${message}`);
}

const watchdog = setTimeout(() => {
  console.error("the example did not finish within 40 s");
  process.exit(1);
}, 40_000);
watchdog.unref();

/** @type {Array<{ instance: string, event: string, [key: string]: unknown }>} */
const events = [];
/** @type {Array<() => void>} */
let waiters = [];
/** Resolves once `check()` holds for the events seen so far. */
function until(/** @type {() => boolean} */ check) {
  return new Promise((resolve) => {
    const test = () => {
      if (check()) resolve(undefined);
      else waiters.push(test);
    };
    test();
  });
}

// The store of this script: it migrates the schema and enqueues, as a web request would.
const store = new PostgresStore({ connectionString, schema });
await store.migrate();
log(`migrated schema "${schema}"`);

const children = INSTANCES.map((id) => {
  const child = spawn(process.execPath, [APP], {
    env: { ...process.env, SCHED_EXAMPLE_SCHEMA: schema, SCHED_EXAMPLE_INSTANCE: id },
    stdio: ["ignore", "pipe", "inherit"],
  });
  createInterface({ input: /** @type {import("node:stream").Readable} */ (child.stdout) }).on(
    "line",
    (line) => {
      events.push(JSON.parse(line));
      const pending = waiters;
      waiters = [];
      for (const waiter of pending) waiter();
    },
  );
  return { id, child, exited: new Promise((resolve) => child.once("exit", resolve)) };
});

const count = (/** @type {string} */ event) => events.filter((e) => e.event === event).length;
try {
  await until(() => count("started") === INSTANCES.length);
  log(`started ${INSTANCES.join(", ")}`);

  const producer = createScheduler({ store });
  await producer.enqueueMany(
    Array.from({ length: JOBS }, (_, n) => ({ name: "send_email", payload: { n }, queue: "default" })),
  );
  log(`enqueued ${JOBS} jobs`);

  await until(() => count("worked") === JOBS && count("tick") >= 3);
  for (const { child } of children) child.kill("SIGTERM");
  await Promise.all(children.map(({ exited }) => exited));
  log("every instance stopped");

  const leaders = events
    .filter((e) => e.event === "leadership" && e.isLeader)
    .map((e) => `${e.instance} (term ${e.term})`);
  log(`leaders    ${leaders.join(", ")}`);
  const ticks = events.filter((e) => e.event === "tick");
  // The leader fires each tick (enqueues its job); whichever instance is free runs that job.
  log(
    `ticks      ${ticks.length} runs, ${new Set(ticks.map((t) => t.scheduledAt)).size} distinct ticks, run on ${[...new Set(ticks.map((t) => t.instance))].join(", ")}`,
  );
  const worked = events.filter((e) => e.event === "worked");
  for (const id of INSTANCES) log(`worked     ${id}: ${worked.filter((e) => e.instance === id).length} jobs`);
  log(`jobs       ${worked.length} runs, ${new Set(worked.map((e) => e.job)).size} distinct of ${JOBS}`);
} finally {
  for (const { child } of children) if (child.exitCode === null) child.kill("SIGKILL");
  await store.close();
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  log(`schema "${schema}" dropped; the process exits on its own`);
}
