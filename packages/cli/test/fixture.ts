import type { Scheduler } from "@sched/core";
import { run } from "../src/index.js";

/** A logger that says nothing. */
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** What a run of `sched` printed, and its exit code. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sched` in this process and collects what it printed. */
export async function runInProcess(argv: string[], options: Parameters<typeof run>[1] = {}): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    env: {},
    ...options,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** Polls `check` every 20 ms until it holds, failing after `ms`. */
export async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("the condition did not hold in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The payload every seeded job carries: it must never be printed unless --payload asks. */
export const SECRET_PAYLOAD = { apiKey: "payload-secret-4242" };

/**
 * Seeds jobs through a running scheduler: two completed `ok` jobs and one dead `boom` job in queue
 * `emails`, a pending `idle` job (group `t1`) and a scheduled one in `reports`, and a cron
 * schedule `nightly`. Returns the ids.
 */
export async function seed(s: Scheduler): Promise<{ dead: string; pending: string; scheduled: string }> {
  s.register("ok", () => {});
  s.register("boom", () => {
    throw new Error("kaboom");
  });
  await s.schedule("nightly", "0 3 * * *", () => {}, { payload: SECRET_PAYLOAD });
  await s.start();
  await s.enqueue({ name: "ok", queue: "emails", payload: SECRET_PAYLOAD });
  await s.enqueue({ name: "ok", queue: "emails", payload: SECRET_PAYLOAD });
  const dead = await s.enqueue({ name: "boom", queue: "emails", maxRetries: 0, payload: SECRET_PAYLOAD });
  const pending = await s.enqueue({ name: "idle", queue: "reports", group: "t1", payload: SECRET_PAYLOAD });
  const scheduled = await s.enqueue({ name: "idle", queue: "reports", delay: "1h", payload: SECRET_PAYLOAD });
  await until(async () => {
    const stats = await s.stats();
    return stats.dead === 1 && stats.completed === 2;
  });
  return { dead: dead.id, pending: pending.id, scheduled: scheduled.id };
}
