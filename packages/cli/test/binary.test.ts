import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createSchedulerFromEnv, type Scheduler } from "@sched/core";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, type Result, runInProcess, SECRET_PAYLOAD, seed } from "./fixture.js";

// The built `sched` binary run as a child process against PostgreSQL and Redis (one schema / key
// prefix per run), with jobs seeded by a scheduler running in this process.
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const PG_URL = process.env.SCHED_TEST_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const REDIS_URL = process.env.SCHED_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = `${process.pid}_${Date.now().toString(36)}`;

/** The process environment without any SCHEDULER_* setting of the machine running the tests. */
function baseEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("SCHEDULER_")));
}

function runBinary(argv: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      "node",
      [BIN, ...argv],
      { env: { ...baseEnv(), ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
      },
    );
  });
}

interface Backend {
  name: string;
  env: Record<string, string>;
  secret: string;
  clock: string;
  cleanup(): Promise<void>;
}

const backends: Backend[] = [
  {
    name: "postgres",
    env: {
      SCHEDULER_STORE: "postgres",
      SCHEDULER_POSTGRES_URL: PG_URL,
      SCHEDULER_POSTGRES_SCHEMA: `cli_${suffix}`,
    },
    secret: PG_URL,
    clock: "PostgreSQL now()",
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "cli_${suffix}" CASCADE`);
      await client.end();
    },
  },
  {
    name: "redis",
    env: {
      SCHEDULER_STORE: "redis",
      SCHEDULER_REDIS_URL: REDIS_URL,
      SCHEDULER_REDIS_KEY_PREFIX: `cli-${suffix}:`,
    },
    secret: REDIS_URL,
    clock: "Redis TIME",
    async cleanup() {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`cli-${suffix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  },
];

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the package first (pnpm build)`);
});

describe.each(backends)("the sched binary against $name", (backend) => {
  let s: Scheduler;
  let ids: Awaited<ReturnType<typeof seed>>;
  const sched = (...argv: string[]) => runBinary(argv, backend.env);

  beforeAll(async () => {
    await backend.cleanup();
    const migrated = await sched("migrate");
    expect(migrated.code).toBe(0);
    s = await createSchedulerFromEnv({ ...backend.env }, { logger: quiet, pollInterval: "50ms" });
    ids = await seed(s);
  });

  afterAll(async () => {
    await s?.stop({ timeout: 0 });
    await backend.cleanup();
  });

  it("migrate is idempotent and says what it did", async () => {
    const result = await sched("migrate", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ store: backend.name, migrated: backend.name === "postgres" });
  });

  it("status shows the queues with counts, the instance and the leader", async () => {
    const human = await sched("status");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/emails\s+active\s+0\s+0\s+0\s+0\s+1\s+2/);
    expect(human.stdout).toContain(`leader: ${s.instanceId}`);
    const json = JSON.parse((await sched("status", "--json")).stdout);
    expect(json).toMatchObject({ store: backend.name, leader: s.instanceId });
    expect(json.instances).toEqual([
      expect.objectContaining({ id: s.instanceId, leader: true, pid: process.pid }),
    ]);
  });

  it("jobs list and get print the seeded jobs without payloads, and nothing secret", async () => {
    const list = await sched("jobs", "list", "--json", "--queue", "emails", "--limit", "2");
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page.jobs).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = JSON.parse(
      (await sched("jobs", "list", "--json", "--queue", "emails", "--cursor", page.nextCursor)).stdout,
    );
    expect(next.jobs.map((j: { id: string }) => j.id)).toEqual([ids.dead]);
    const human = await sched("jobs", "list", "--status", "dead");
    expect(human.stdout).toContain(ids.dead);
    expect(human.stdout).toContain("kaboom");
    const got = await sched("jobs", "get", ids.dead);
    expect(got.stdout).toContain("payload: hidden");
    for (const result of [list, human, got]) {
      expect(result.stdout + result.stderr).not.toContain(SECRET_PAYLOAD.apiKey);
      expect(result.stdout + result.stderr).not.toContain(backend.secret);
    }
    expect((await sched("jobs", "get", ids.dead, "--payload", "--json")).stdout).toContain(
      SECRET_PAYLOAD.apiKey,
    );
    expect((await sched("jobs", "get", "0190e0e0-0000-7000-8000-000000000000")).code).toBe(3);
  });

  it("dead retry-all moves the dead job back, and the running scheduler makes it dead again", async () => {
    const result = await sched("dead", "retry-all", "--queue", "emails", "--json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ count: 1 });
  });

  it("queues pause and resume across processes", async () => {
    expect((await sched("queues", "pause", "reports")).stdout).toBe("queue reports is paused");
    expect((await s.getQueue("reports")).paused).toBe(true);
    expect((await sched("queues", "resume", "reports")).stdout).toBe("queue reports is active");
    expect((await s.getQueue("reports")).paused).toBe(false);
  });

  it("schedules list, next, pause, resume and trigger", async () => {
    expect((await sched("schedules", "list")).stdout).toMatch(/nightly\s+active/);
    expect(JSON.parse((await sched("schedules", "next", "nightly", "--json")).stdout).next).toHaveLength(5);
    expect((await sched("schedules", "pause", "nightly")).code).toBe(0);
    expect((await s.getSchedule("nightly"))?.paused).toBe(true);
    expect((await sched("schedules", "resume", "nightly")).code).toBe(0);
    expect((await sched("schedules", "trigger", "nightly")).stdout).toMatch(/enqueued job/);
    expect((await sched("schedules", "trigger", "missing")).code).toBe(3);
  });

  it("jobs delete removes completed jobs of a queue", async () => {
    const result = await sched(
      "jobs",
      "delete",
      "--queue",
      "emails",
      "--status",
      "completed",
      "--yes",
      "--json",
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ count: 2 });
  });

  it("doctor checks the connection, migrations, the leader and the clocks", async () => {
    const result = await sched("doctor", "--json");
    const report = JSON.parse(result.stdout);
    expect(report.checks.find((c: { check: string }) => c.check === "clock").detail).toContain(backend.clock);
    expect(report).toMatchObject({ ok: true, store: backend.name });
    expect(result.code).toBe(0);
    // In process too, with this machine's clock an hour ahead of the store's.
    const skewed = await runInProcess(["doctor", "--json"], {
      env: backend.env,
      now: () => Date.now() + 3_600_000,
    });
    expect(skewed.code).toBe(4);
    const clock = JSON.parse(skewed.stdout).checks.find((c: { check: string }) => c.check === "clock");
    expect(clock).toMatchObject({ status: "problem", detail: expect.stringContaining("1h behind") });
  });

  it("doctor reports an unreachable store as a problem (exit 4) without printing its URL", async () => {
    const url =
      backend.name === "postgres"
        ? "postgres://root:hunter2@127.0.0.1:1/test"
        : "redis://:hunter2@127.0.0.1:1";
    const result = await runBinary(["doctor", "--timeout", "2s"], {
      ...backend.env,
      [`SCHEDULER_${backend.name.toUpperCase()}_URL`]: url,
    });
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/connectivity\s+problem/);
    expect(result.stdout + result.stderr).not.toContain("hunter2");
  });
});

describe("the sched binary", () => {
  it("exits 2 on a usage error and 0 for --help", async () => {
    expect((await runBinary(["jobs", "list", "--limit", "x"], {})).code).toBe(2);
    const help = await runBinary(["jobs", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("retry");
  });
});
