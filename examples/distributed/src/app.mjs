// @ts-check
/**
 * One instance of the application: the same code runs in every process. It shares the PostgreSQL
 * store (schema `SCHED_EXAMPLE_SCHEMA`) with the other instances, competes for leadership with a
 * `PostgresLeader`, defines the cron schedule (only the leader fires it) and works the `emails`
 * queue (every instance does). It reports what it does as JSON lines on stdout, and stops cleanly
 * on SIGTERM.
 */
import { createScheduler } from "@sched/core";
import { PostgresLeader } from "@sched/leader-postgres";
import { PostgresStore } from "@sched/store-postgres";

const connectionString = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const schema = process.env.SCHED_EXAMPLE_SCHEMA ?? "public";
const instanceId = process.env.SCHED_EXAMPLE_INSTANCE ?? `instance-${process.pid}`;

/** Writes one event as a JSON line. */
function report(/** @type {Record<string, unknown>} */ event) {
  process.stdout.write(`${JSON.stringify({ instance: instanceId, ...event })}\n`);
}

const store = new PostgresStore({ connectionString, schema });
const leader = new PostgresLeader({ connectionString, schema, instanceId, ttl: "3s" });
const scheduler = createScheduler({
  store,
  leader,
  workers: 4,
  pollInterval: "200ms",
  distributed: { enabled: true, instanceId, lockTTL: "3s", lockRefresh: "1s" },
});

leader.onLeaderChange((isLeader, term) => report({ event: "leadership", isLeader, term }));

scheduler.register("send_email", async (/** @type {import("@sched/core").Job<{ n: number }>} */ job) => {
  // Some work: long enough that every instance, woken or polling every 200 ms, gets a share.
  await new Promise((resolve) => setTimeout(resolve, 150));
  report({ event: "worked", job: job.payload.n });
});

// Every instance defines the schedule; only the leader fires it (enqueues each tick's job, once),
// and any instance may run that job.
await scheduler.schedule("digest", "* * * * * *", async (job) => {
  report({ event: "tick", scheduledAt: job.scheduledAt.toISOString() });
});

await scheduler.start();
report({ event: "started" });

process.once("SIGTERM", async () => {
  await scheduler.stop({ timeout: "5s" });
  await leader.close();
  await store.close();
  report({ event: "stopped" });
});
