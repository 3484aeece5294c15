import { randomUUID } from "node:crypto";
import { createScheduler } from "@sched/core";
import { PostgresStore } from "@sched/store-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Instance,
  killInstance,
  leads,
  logDir,
  startInstance,
  stopInstance,
  waitFor,
} from "../src/harness.js";

const BASE_URL = process.env.SCHED_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const LOCK_TTL = 2000;
const admin = new pg.Pool({ connectionString: BASE_URL, max: 2 });
const schemas: string[] = [];

/** A fresh, migrated schema for one test. */
async function freshSchema(): Promise<string> {
  const schema = `mp_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  schemas.push(schema);
  const store = new PostgresStore({ connectionString: BASE_URL, schema });
  await store.migrate();
  await store.close();
  return schema;
}

function urlWithAppName(appName: string): string {
  const url = new URL(BASE_URL);
  url.searchParams.set("application_name", appName);
  return url.toString();
}

function parse(lines: string[], kind: string): Array<{ key: string; id: string; attempt: number }> {
  return lines
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => {
      const [, key, id, attempt] = l.split(" ");
      return { key: key!, id: id!, attempt: Number(attempt) };
    });
}

beforeAll(async () => {
  await admin.query("SELECT 1");
});

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe("PostgreSQL, several processes", () => {
  it("fires every cron tick exactly once while the leader is killed with SIGKILL", async () => {
    const schema = await freshSchema();
    const dir = logDir();
    const env = {
      MP_MODE: "cron",
      MP_SCHEMA: schema,
      MP_POSTGRES_URL: BASE_URL,
      MP_LOCK_TTL: String(LOCK_TTL),
    };
    const instances: Instance[] = ["a", "b", "c"].map((id) => startInstance(dir, id, env));
    try {
      await waitFor(() => instances.some(leads), 15_000, "a leader");
      await new Promise((r) => setTimeout(r, 8000));
      const leader = instances.find(leads)!;
      const killedAt = Date.now();
      await killInstance(leader);
      const survivors = instances.filter((i) => i !== leader);
      await waitFor(() => survivors.some(leads), LOCK_TTL * 3, "a new leader");
      await new Promise((r) => setTimeout(r, 8000));
      for (const i of survivors) expect(await stopInstance(i)).toBe(0);

      const ticks = instances.flatMap((i) => parse(i.lines(), "tick"));
      const jobsByTick = new Map<string, Set<string>>();
      for (const t of ticks) jobsByTick.set(t.key, (jobsByTick.get(t.key) ?? new Set()).add(t.id));
      // Exactly once: one job per tick, never two.
      for (const [tick, ids] of jobsByTick) expect(ids.size, `tick ${tick}`).toBe(1);
      const times = [...jobsByTick.keys()].map((t) => Date.parse(t)).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(12);
      // The failover gap is at most lockTTL plus one tick (and some scheduling slack).
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(LOCK_TTL + 1000 + 1000);
      expect(times.some((t) => t > killedAt + LOCK_TTL)).toBe(true);
      for (const i of instances) expect(i.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => stopInstance(i)));
    }
  });

  it("loses no job when one of three worker processes is killed mid-run", async () => {
    const schema = await freshSchema();
    const store = new PostgresStore({ connectionString: BASE_URL, schema });
    const producer = createScheduler({ store });
    const total = 10_000;
    for (let i = 0; i < total; i += 2000) {
      await producer.enqueueMany(
        Array.from({ length: 2000 }, (_, k) => ({ name: "work", payload: { n: i + k }, maxRetries: 5 })),
      );
    }
    const dir = logDir();
    const env = {
      MP_MODE: "jobs",
      MP_SCHEMA: schema,
      MP_POSTGRES_URL: BASE_URL,
      MP_LOCK_TTL: String(LOCK_TTL),
      MP_JOB_MS: "2",
    };
    const instances = ["w1", "w2", "w3"].map((id) => startInstance(dir, id, env));
    try {
      const done = () => instances.flatMap((i) => parse(i.lines(), "done")).length;
      await waitFor(() => done() >= total / 4, 60_000, "a quarter of the jobs");
      const victim = instances[0]!;
      await killInstance(victim);
      // The kill lands mid-run: work was left for the others, and the victim had taken part.
      expect(done()).toBeLessThan(total);
      expect(parse(victim.lines(), "done").length).toBeGreaterThan(0);
      await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
      const survivors = instances.slice(1);
      for (const i of survivors) expect(await stopInstance(i)).toBe(0);

      const all = instances.flatMap((i) => parse(i.lines(), "done").map((d) => ({ ...d, instance: i.id })));
      const seen = new Set(all.map((d) => Number(d.key)));
      expect(seen.size).toBe(total);
      // Only jobs that were in flight on the killed process (started there, and not yet
      // acknowledged when it died) may have run twice.
      const startedOnVictim = new Set(parse(victim.lines(), "start").map((s) => s.key));
      const counts = new Map<string, number>();
      for (const d of all) counts.set(d.key, (counts.get(d.key) ?? 0) + 1);
      const twice = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
      for (const n of twice) expect(startedOnVictim.has(n), `job ${n} ran twice`).toBe(true);
      for (const i of instances) expect(i.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => stopInstance(i)));
      await store.close();
    }
  });

  it("goes on when the server terminates the scheduler's connections, losing nothing", async () => {
    const schema = await freshSchema();
    const store = new PostgresStore({ connectionString: BASE_URL, schema });
    const producer = createScheduler({ store });
    const total = 3000;
    await producer.enqueueMany(
      Array.from({ length: total }, (_, n) => ({ name: "work", payload: { n }, maxRetries: 5 })),
    );
    const appName = `sched-mp-${randomUUID().slice(0, 8)}`;
    const dir = logDir();
    const env = {
      MP_MODE: "jobs",
      MP_SCHEMA: schema,
      MP_POSTGRES_URL: urlWithAppName(appName),
      MP_LOCK_TTL: String(LOCK_TTL),
      MP_JOB_MS: "5",
      MP_WORKERS: "10",
    };
    const worker = startInstance(dir, "w", env);
    try {
      const done = () => parse(worker.lines(), "done").length;
      await waitFor(() => done() >= 300, 60_000, "some progress");
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [appName],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      const afterKill = done();
      await waitFor(() => done() > afterKill + 300, 60_000, "progress after the connections were dropped");
      await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
      expect(await stopInstance(worker)).toBe(0);
      expect(new Set(parse(worker.lines(), "done").map((d) => d.key)).size).toBe(total);
      expect(worker.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
      expect(worker.lines()).toContain("stopped");
    } finally {
      await stopInstance(worker);
      await store.close();
    }
  });
});
