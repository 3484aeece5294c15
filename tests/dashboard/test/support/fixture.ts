// A real scheduler holding jobs in every state the pages show, and schedules, served through
// @sched/http with a read token and a write token. Its store is PostgreSQL (a schema of its own,
// dropped at the end) unless SCHED_DASHBOARD_STORE=memory.
import { randomBytes } from "node:crypto";
import { createScheduler, type Job, MemoryStore, type Scheduler, type Store } from "@sched/core";
import { dashboardAssets } from "@sched/dashboard";
import { createHttpHandler, type RunningServer, serve } from "@sched/http";

const POSTGRES_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";

/** The backend the tests run on: `postgres` (default) or `memory`. */
export const BACKEND = process.env.SCHED_DASHBOARD_STORE === "memory" ? "memory" : "postgres";

interface Backend {
  store: Store;
  /** Closes the store and removes what it stored. */
  drop: () => Promise<void>;
}

async function openBackend(): Promise<Backend> {
  if (BACKEND === "memory") {
    const store = new MemoryStore();
    return { store, drop: () => store.close() };
  }
  // Loaded only here, so the memory run needs no database driver.
  const { PostgresStore } = await import("@sched/store-postgres");
  const { default: pg } = await import("pg");
  const schema = `sched_dashboard_${randomBytes(6).toString("hex")}`;
  const store = new PostgresStore({ connectionString: POSTGRES_URL, schema, autoMigrate: true, poolSize: 4 });
  return {
    store,
    drop: async () => {
      await store.close();
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query("SET client_min_messages = warning");
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The tokens the server accepts. */
export const WRITE_TOKEN = "dashboard-test-write-token-0123456789";
export const READ_TOKEN = "dashboard-test-read-token-0123456789";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The seeded scheduler and the server in front of it. */
export interface Fixture {
  scheduler: Scheduler;
  server: RunningServer;
  /** Ids of the seeded jobs. */
  jobs: { completed: string[]; dead: string; scheduled: string; running: string; bulk: string[] };
  /** Waits until `check` holds (polling), or fails naming `what`. */
  until: (what: string, check: () => Promise<boolean>) => Promise<void>;
  close: () => Promise<void>;
}

/** Waits until `check()` resolves true, polling every 50 ms, for at most `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Seeds: queue `emails` with 3 completed jobs, one dead after 2 failed attempts and one
 * scheduled an hour ahead; queue `reports` with one job running (its handler waits until
 * close); queue `bulk` (paused) with 30 pending jobs; schedules `nightly-digest` (cron) and
 * `heartbeat` (every hour).
 */
export async function startFixture(): Promise<Fixture> {
  const { store, drop } = await openBackend();
  const scheduler = createScheduler({
    store,
    logger: quiet,
    pollInterval: 50,
    retry: { initialDelay: 20, maxDelay: 20, jitter: 0 },
  });
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  scheduler.register("send-email", (job: Job<{ to: string; fail?: boolean }>) => {
    if (job.payload.fail) throw new Error(`SMTP 550 mailbox unavailable: ${job.payload.to}`);
  });
  scheduler.register("sync-crm", () => {
    throw new Error("CRM timeout after 30s");
  });
  scheduler.register("build-report", () => released);
  scheduler.register("noop", () => {});

  let server: RunningServer | undefined;
  const close = async () => {
    release();
    await server?.close();
    await scheduler.stop();
    await drop();
  };

  try {
    await scheduler.pauseQueue("bulk");
    await scheduler.start();
    const completed: string[] = [];
    for (const to of ["ada@example.com", "grace@example.com", "linus@example.com"]) {
      const job = await scheduler.enqueue({
        name: "send-email",
        queue: "emails",
        payload: { to, subject: "Welcome" },
        metadata: { tenant: "acme" },
      });
      completed.push(job.id);
    }
    const dead = await scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "bounce@example.com", fail: true },
      metadata: { tenant: "acme", campaign: "spring" },
      maxRetries: 1,
    });
    const scheduled = await scheduler.enqueue({
      name: "send-email",
      queue: "emails",
      payload: { to: "later@example.com" },
      delay: "1h",
    });
    const running = await scheduler.enqueue({
      name: "build-report",
      queue: "reports",
      payload: { month: "2026-04" },
    });
    const bulk: string[] = [];
    for (let i = 0; i < 30; i++) {
      bulk.push((await scheduler.enqueue({ name: "noop", queue: "bulk", payload: { n: i } })).id);
    }
    await scheduler.schedule("nightly-digest", "0 3 * * *", () => {}, { queue: "emails" });
    await scheduler
      .every(1)
      .hours()
      .do("heartbeat", () => {});

    const statusOf = async (id: string) => (await scheduler.getJob(id))?.status;
    for (const id of completed)
      await until(`job ${id} completed`, async () => (await statusOf(id)) === "completed");
    await until("the failing job is dead", async () => (await statusOf(dead.id)) === "dead");
    await until("the report runs", async () => (await statusOf(running.id)) === "running");

    const assets = await dashboardAssets();
    const handler = createHttpHandler({
      scheduler,
      auth: {
        tokens: {
          [WRITE_TOKEN]: { role: "write", name: "ops" },
          [READ_TOKEN]: { role: "read", name: "viewer" },
        },
      },
      assets,
    });
    server = await serve(handler, { port: 0 });
    return {
      scheduler,
      server,
      jobs: { completed, dead: dead.id, scheduled: scheduled.id, running: running.id, bulk },
      until,
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
