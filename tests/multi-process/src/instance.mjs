// @ts-check
// One scheduler instance, run as a child process by the multi-process tests. It writes every
// event it sees as a line to its own log file (appendFileSync survives SIGKILL once it returns),
// and the test reads the logs afterwards.
//
//   MP_MODE=cron  a cron schedule firing every second; each tick's job logs "tick <time> <id> <attempt>"
//   MP_MODE=jobs  a "work" handler logging "start <n> …" and "done <n> …" around a short sleep
//   MP_MODE=deadletter  "doomed" jobs fail for good; the dead-letter handler logs "dl-start <id>" and
//                 "dl-done <id>" for each dead job (with MP_DL_HANG=1 it never finishes, to be killed)
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createScheduler, permanent } from "@sched/core";
import { createBackend } from "./backends.mjs";

const env = process.env;
const logFile = env.MP_LOG ?? "instance.log";
/** @param {string} line */
const log = (line) => appendFileSync(logFile, `${line}\n`);

process.on("unhandledRejection", (err) => log(`UNHANDLED rejection ${String(err)}`));
process.on("uncaughtException", (err) => log(`UNHANDLED exception ${String(err)}`));

const { store, leader } = await createBackend(env);
const lockTTL = Number(env.MP_LOCK_TTL ?? 2000);
const scheduler = createScheduler({
  store,
  leader,
  workers: Number(env.MP_WORKERS ?? 20),
  pollInterval: Number(env.MP_POLL ?? 200),
  distributed: {
    enabled: true,
    instanceId: env.MP_INSTANCE,
    lockTTL,
    lockRefresh: Math.round(lockTTL / 4),
  },
  logger: {
    debug() {},
    info() {},
    warn: (message) => log(`warn ${message}`),
    error: (message, fields) => log(`error ${message} ${JSON.stringify(fields ?? {})}`),
  },
});

leader.onLeaderChange((leads, term) => log(`leader ${leads} ${term}`));

if (env.MP_MODE === "cron") {
  await scheduler.schedule("tick", "* * * * * *", (job, ctx) => {
    log(`tick ${job.scheduledAt.toISOString()} ${job.id} ${ctx.attempt}`);
  });
} else if (env.MP_MODE === "deadletter") {
  scheduler.register("doomed", () => {
    throw permanent(new Error("doomed"));
  });
  scheduler.register("dead", async (job) => {
    log(`dl-start ${job.id} ${job.status} ${job.error}`);
    if (env.MP_DL_HANG === "1") await new Promise(() => {});
    log(`dl-done ${job.id}`);
  });
} else {
  const jobMs = Number(env.MP_JOB_MS ?? 5);
  scheduler.register("work", async (job, ctx) => {
    const { n } = /** @type {{ n: number }} */ (job.payload);
    log(`start ${n} ${job.id} ${ctx.attempt}`);
    await sleep(jobMs);
    log(`done ${n} ${job.id} ${ctx.attempt}`);
  });
}

await scheduler.start();
log("ready");

process.once("SIGTERM", async () => {
  await scheduler.stop({ timeout: "5s" });
  await store.close();
  await leader.close?.();
  log("stopped");
  // Nothing is left open: the process exits on its own.
});
