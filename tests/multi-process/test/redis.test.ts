import { randomUUID } from "node:crypto";
import { createScheduler } from "@sched/core";
import { RedisStore } from "@sched/store-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Instance,
  killInstance,
  leads,
  logDir,
  startInstance,
  stopInstance,
  waitFor,
} from "../src/harness.js";

const REDIS_URL = process.env.SCHED_REDIS_URL ?? "redis://127.0.0.1:6379";
const LOCK_TTL = 2000;
const admin = new Redis(REDIS_URL);
const prefixes: string[] = [];

function freshPrefix(): string {
  const prefix = `mp:${randomUUID().slice(0, 8)}:`;
  prefixes.push(prefix);
  return prefix;
}

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `*${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== "0");
}

function parse(lines: string[], kind: string): Array<{ key: string; id: string }> {
  return lines
    .filter((l) => l.startsWith(`${kind} `))
    .map((l) => {
      const [, key, id] = l.split(" ");
      return { key: key!, id: id! };
    });
}

afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(prefix);
  await admin.quit();
});

describe("Redis, several processes", () => {
  it("fires every cron tick exactly once while the leader is killed with SIGKILL", async () => {
    const prefix = freshPrefix();
    const dir = logDir();
    const env = {
      SCHED_BACKEND: "redis",
      MP_MODE: "cron",
      MP_KEY_PREFIX: prefix,
      MP_REDIS_URL: REDIS_URL,
      MP_LOCK_TTL: String(LOCK_TTL),
    };
    const instances: Instance[] = ["a", "b", "c"].map((id) => startInstance(dir, id, env));
    try {
      await waitFor(() => instances.some(leads), 15_000, "a leader");
      await new Promise((r) => setTimeout(r, 8000));
      const leader = instances.find(leads)!;
      await killInstance(leader);
      const survivors = instances.filter((i) => i !== leader);
      await waitFor(() => survivors.some(leads), LOCK_TTL * 3, "a new leader");
      await new Promise((r) => setTimeout(r, 8000));
      for (const i of survivors) expect(await stopInstance(i)).toBe(0);

      const jobsByTick = new Map<string, Set<string>>();
      for (const t of instances.flatMap((i) => parse(i.lines(), "tick"))) {
        jobsByTick.set(t.key, (jobsByTick.get(t.key) ?? new Set()).add(t.id));
      }
      for (const [tick, ids] of jobsByTick) expect(ids.size, `tick ${tick}`).toBe(1);
      const times = [...jobsByTick.keys()].map((t) => Date.parse(t)).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThanOrEqual(12);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(LOCK_TTL + 1000 + 1000);
      for (const i of instances) expect(i.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => stopInstance(i)));
    }
  });

  it("loses no job when one of three worker processes is killed mid-run", async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const producer = createScheduler({ store });
    const total = 10_000;
    for (let i = 0; i < total; i += 2000) {
      await producer.enqueueMany(
        Array.from({ length: 2000 }, (_, k) => ({ name: "work", payload: { n: i + k }, maxRetries: 5 })),
      );
    }
    const dir = logDir();
    const env = {
      SCHED_BACKEND: "redis",
      MP_MODE: "jobs",
      MP_KEY_PREFIX: prefix,
      MP_REDIS_URL: REDIS_URL,
      MP_LOCK_TTL: String(LOCK_TTL),
      MP_JOB_MS: "2",
    };
    const instances = ["w1", "w2", "w3"].map((id) => startInstance(dir, id, env));
    try {
      const done = () => instances.flatMap((i) => parse(i.lines(), "done")).length;
      await waitFor(() => done() >= total / 4, 60_000, "a quarter of the jobs");
      const victim = instances[0]!;
      await killInstance(victim);
      expect(done()).toBeLessThan(total);
      expect(parse(victim.lines(), "done").length).toBeGreaterThan(0);
      await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
      for (const i of instances.slice(1)) expect(await stopInstance(i)).toBe(0);

      const all = instances.flatMap((i) => parse(i.lines(), "done"));
      expect(new Set(all.map((d) => d.key)).size).toBe(total);
      const startedOnVictim = new Set(parse(victim.lines(), "start").map((s) => s.key));
      const counts = new Map<string, number>();
      for (const d of all) counts.set(d.key, (counts.get(d.key) ?? 0) + 1);
      for (const [n, c] of counts) if (c > 1) expect(startedOnVictim.has(n), `job ${n} ran twice`).toBe(true);
      for (const i of instances) expect(i.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => stopInstance(i)));
      await store.close();
    }
  });

  it("goes on when the server kills the scheduler's connections (CLIENT KILL), losing nothing", async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    const producer = createScheduler({ store });
    const total = 3000;
    await producer.enqueueMany(
      Array.from({ length: total }, (_, n) => ({ name: "work", payload: { n }, maxRetries: 5 })),
    );
    const name = `sched-mp-${randomUUID().slice(0, 8)}`;
    const dir = logDir();
    const env = {
      SCHED_BACKEND: "redis",
      MP_MODE: "jobs",
      MP_KEY_PREFIX: prefix,
      MP_REDIS_URL: REDIS_URL,
      MP_REDIS_NAME: name,
      MP_LOCK_TTL: String(LOCK_TTL),
      MP_JOB_MS: "5",
      MP_WORKERS: "10",
    };
    const worker = startInstance(dir, "w", env);
    try {
      const done = () => parse(worker.lines(), "done").length;
      await waitFor(() => done() >= 300, 60_000, "some progress");
      const clients = String(await admin.client("LIST"))
        .split("\n")
        .filter((line) => line.includes(` name=${name} `));
      expect(clients.length).toBeGreaterThan(0);
      for (const line of clients) {
        const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
        if (id) await admin.client("KILL", "ID", id);
      }
      const afterKill = done();
      await waitFor(() => done() > afterKill + 300, 60_000, "progress after the connections were killed");
      await waitFor(async () => (await store.stats()).completed === total, 90_000, "every job completed");
      expect(await stopInstance(worker)).toBe(0);
      expect(new Set(parse(worker.lines(), "done").map((d) => d.key)).size).toBe(total);
      expect(worker.lines().filter((l) => l.startsWith("UNHANDLED"))).toEqual([]);
    } finally {
      await stopInstance(worker);
      await store.close();
    }
  });
});
