import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { MongoStore } from "@sched/store-mongodb";
import { FaultProxy } from "@sched/test-servers";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { controlSuite } from "./control-suite.js";
import { type BackendUnderTest, multiProcessSuite } from "./suite.js";

/**
 * A real MongoDB when SCHED_MONGODB_URL is set (a replica set, server 6.0 or later). Otherwise the
 * CongoDB emulator, started in a process of its own so every instance process reaches the same
 * server: the suite then proves the scheduler's multi-process behaviour on MongoDB's wire protocol
 * and the store's design, not on a real MongoDB server (see packages/leader-mongodb/README.md).
 */
const REAL_URL = process.env.SCHED_MONGODB_URL || undefined;
const EMULATOR = fileURLToPath(new URL("../src/mongo-emulator.mjs", import.meta.url));

let base = REAL_URL ?? "";
let emulator: ChildProcess | null = null;
let admin: MongoClient | null = null;
const databases: string[] = [];
const proxies: FaultProxy[] = [];

if (REAL_URL === undefined) {
  console.info(
    "multi-process MongoDB: the suite runs on the CongoDB emulator in its own process; skipped: the same suite against a real MongoDB (set SCHED_MONGODB_URL)",
  );
}

beforeAll(async () => {
  if (REAL_URL === undefined) {
    emulator = spawn(process.execPath, [EMULATOR], { stdio: ["ignore", "pipe", "ignore"] });
    // The emulator prints debug lines of its own: wait for ours.
    let port: string | undefined;
    for await (const line of createInterface({ input: emulator.stdout! })) {
      port = /^port (\d+)$/.exec(line)?.[1];
      if (port !== undefined) break;
    }
    base = `mongodb://127.0.0.1:${port}`;
  }
  admin = new MongoClient(withDatabase(base, "admin"));
  await admin.connect();
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  for (const db of databases)
    await admin
      ?.db(db)
      .dropDatabase()
      .catch(() => undefined);
  await admin?.close();
  emulator?.kill("SIGKILL");
});

/** `url` with the database `db` and `serverMonitoringMode=poll` (the emulator needs it; harmless otherwise). */
function withDatabase(url: string, db: string, extra: Record<string, string> = {}): string {
  const [withoutQuery, query] = url.split("?") as [string, string | undefined];
  const hosts = withoutQuery.replace(/^(mongodb(?:\+srv)?:\/\/[^/]*).*$/i, "$1");
  const params = new URLSearchParams(query ?? "");
  params.set("serverMonitoringMode", "poll");
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return `${hosts}/${db}?${params.toString()}`;
}

const backend: BackendUnderTest = {
  name: REAL_URL === undefined ? "MongoDB (CongoDB emulator in its own process)" : "MongoDB",
  // The emulator scans its documents in JavaScript on every claim: 10,000 jobs take minutes there.
  ...(REAL_URL === undefined ? { killedWorkerJobs: 1_000 } : {}),
  async isolate() {
    const db = `sched_mp_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    databases.push(db);
    const url = withDatabase(base, db);
    // The test's own store enqueues thousands of jobs at once: the emulator, one Node.js process,
    // answers nothing else meanwhile, so its client waits longer for a heartbeat than the default.
    const client = new MongoClient(url, { connectTimeoutMS: 30_000, serverSelectionTimeoutMS: 30_000 });
    const store = new MongoStore({ client, dbName: db });
    await store.migrate();
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      await client.close();
    };
    return { env: { SCHED_BACKEND: "mongodb", MP_MONGODB_URL: url }, store };
  },
  async traceable(env) {
    // The worker reaches the server through a proxy of its own, which can drop its connections.
    const hosts = (admin!.options.hosts ?? []).map(String);
    const proxy = await FaultProxy.start(hosts[0]!);
    proxies.push(proxy);
    const db = new URL(env.MP_MONGODB_URL!.replace(/^mongodb(\+srv)?:/, "http:")).pathname.slice(1);
    const url = withDatabase(`mongodb://127.0.0.1:${proxy.port}`, db, { directConnection: "true" });
    return { env: { ...env, MP_MONGODB_URL: url }, tag: String(proxies.length - 1) };
  },
  schedulerEnv(env) {
    return { SCHEDULER_STORE: "mongodb", SCHEDULER_MONGODB_URL: env.MP_MONGODB_URL! };
  },
  async dropConnections(tag) {
    const proxy = proxies[Number(tag)]!;
    const open = proxy.openConnections;
    proxy.dropConnections();
    return open;
  },
};

multiProcessSuite(backend);
// The emulator scans its documents in JavaScript on every claim: fewer jobs keep each test short.
controlSuite(backend, REAL_URL === undefined ? { rateJobs: 60, concurrencyJobs: 80 } : {});
