// @ts-check
// One scheduler instance, run as a child process by the multi-process tests. It writes every
// event it sees as a line to its own log file (appendFileSync survives SIGKILL once it returns),
// and the test reads the logs afterwards.
//
//   MP_MODE=cron  a cron schedule firing every second; each tick's job logs "tick <time> <id> <attempt>"
//   MP_MODE=jobs  a "work" handler logging "start <n> …" and "done <n> …" around a short sleep
//   MP_MODE=define  defines schedule "x" with the expression MP_EXPR and logs what the store holds:
//                 "defined <expression, spaces as _> <definedAt ms> <definedBy>", then "stored …" every 500 ms
//   MP_MODE=deadletter  "doomed" jobs fail for good; the dead-letter handler logs "dl-start <id>" and
//                 "dl-done <id>" for each dead job (with MP_DL_HANG=1 it never finishes, to be killed)
//   MP_MODE=fencing  a "fence" handler that runs MP_JOB_MS unless its signal aborts it, logging
//                 "run-start <id> <attempt> <lockedBy> <ms>" then "run-end …" or "run-abort … <reason>"
//                 (the lease's token is attempt and holder; times are Date.now(), one clock for all)
//   MP_MODE=control  a "ctl" handler logging "cstart <id> <group or -> <startedAt ms> <ms>" and
//                 "cend <id> <group or -> <ms>" around a sleep of the payload's `ms`, else MP_JOB_MS
//                 (startedAt is the claim's instant, the one the store counts rate windows by; ms is
//                 Date.now())
//
// MP_LOCK_REFRESH sets lockRefresh (default MP_LOCK_TTL / 4), MP_MAX_LEASE_RECOVERIES
// maxLeaseRecoveries (default 3).
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
    lockRefresh: Number(env.MP_LOCK_REFRESH ?? Math.round(lockTTL / 4)),
  },
  maxLeaseRecoveries: Number(env.MP_MAX_LEASE_RECOVERIES ?? 3),
  logger: {
    debug() {},
    info() {},
    warn: (message) => log(`warn ${message}`),
    error: (message, fields) => log(`error ${message} ${JSON.stringify(fields ?? {})}`),
  },
});

leader.onLeaderChange((leads, term) => log(`leader ${leads} ${term}`));

if (env.MP_MODE === "define") {
  const record = await scheduler.schedule("x", env.MP_EXPR ?? "0 3 * * *", () => {});
  // Expressions hold spaces: logged with underscores, one word.
  const word = (/** @type {string | undefined} */ expression) => String(expression).replaceAll(" ", "_");
  log(`defined ${word(record.definition.expression)} ${record.definedAt.getTime()} ${record.definedBy}`);
  const report = setInterval(async () => {
    const stored = await scheduler.listSchedules().catch(() => []);
    const x = stored.find((schedule) => schedule.name === "x");
    if (x) log(`stored ${word(x.definition.expression)} ${x.definedAt.getTime()} ${x.definedBy}`);
  }, 500);
  process.once("SIGTERM", () => clearInterval(report));
} else if (env.MP_MODE === "cron") {
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
} else if (env.MP_MODE === "fencing") {
  const jobMs = Number(env.MP_JOB_MS ?? 5000);
  scheduler.register("fence", async (job, ctx) => {
    const token = `${job.id} ${ctx.attempt} ${job.lockedBy}`;
    log(`run-start ${token} ${Date.now()}`);
    const aborted = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), jobMs);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(ctx.signal.reason);
      });
    });
    if (aborted === null) {
      log(`run-end ${token} ${Date.now()}`);
      return;
    }
    const reason = aborted instanceof Error ? aborted.name : String(aborted);
    log(`run-abort ${token} ${Date.now()} ${reason}`);
    throw aborted;
  });
} else if (env.MP_MODE === "control") {
  const jobMs = Number(env.MP_JOB_MS ?? 20);
  scheduler.register("ctl", async (job) => {
    const group = job.group ?? "-";
    const { ms } = /** @type {{ ms?: number }} */ (job.payload ?? {});
    log(`cstart ${job.id} ${group} ${job.startedAt?.getTime() ?? -1} ${Date.now()}`);
    await sleep(ms ?? jobMs);
    log(`cend ${job.id} ${group} ${Date.now()}`);
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
