import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSchedulerFromEnv, type Scheduler } from "@sched/core";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, type Result, runInProcess, SECRET_PAYLOAD, seed, until } from "./fixture.js";

// The built `sched` binary run as a child process against PostgreSQL and Redis (one schema / key
// prefix per run), with jobs seeded by a scheduler running in this process.
const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const PG_URL = process.env.SCHED_TEST_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
const REDIS_URL = process.env.SCHED_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const READ_TOKEN = "r-0123456789abcdef";
const WRITE_TOKEN = "w-0123456789abcdef";
const DOCTOR_CHECKS = ["config", "connectivity", "migrations", "instances", "leader", "clock", "heartbeats"];

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

/** The lines a run printed on stderr, each parsed as JSON (a line that is not JSON fails the test). */
function jsonLines(stderr: string): unknown[] {
  return stderr === "" ? [] : stderr.split("\n").map((line) => JSON.parse(line));
}

/** The one JSON error object a `--json` run printed on stderr, checked to be the only line. */
function jsonError(result: Result): { code: string; message: string } {
  const lines = jsonLines(result.stderr);
  expect(lines).toHaveLength(1);
  const error = (lines[0] as { error?: { code: string; message: string } }).error;
  expect(error).toEqual({ code: expect.any(String), message: expect.any(String) });
  return error as { code: string; message: string };
}

/** A running `sched serve`, its URL, and how to stop it (SIGTERM) and collect what it printed. */
interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  stop(): Promise<Result>;
}

/**
 * Starts `sched serve` as a child process and resolves once it prints the address it serves on
 * (with --json, the `info` line's `url`); rejects with what it printed if it exits first.
 */
function startServe(argv: string[], env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn("node", [BIN, "serve", "--port", "0", ...argv], {
    env: { ...baseEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += String(chunk);
  });
  const exited = new Promise<Result>((resolve) => {
    child.on("exit", (code) =>
      resolve({ code: code ?? -1, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() }),
    );
  });
  return new Promise((resolve, reject) => {
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
      const url = /serving the HTTP API and dashboard on (http:\/\/[^\s"]+)/.exec(stderr)?.[1];
      if (url !== undefined)
        resolve({
          url,
          child,
          stderr: () => stderr,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
    });
    exited.then((result) => reject(new Error(`sched serve exited with ${result.code}: ${result.stderr}`)));
  });
}

interface Backend {
  name: string;
  env: Record<string, string>;
  /** A connection flag, a value its store refuses, and the variable the flag stands for. */
  badSetting: { flag: string; value: string; variable: string };
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
    badSetting: { flag: "--schema", value: "Bad-Schema", variable: "SCHEDULER_POSTGRES_SCHEMA" },
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
    badSetting: { flag: "--key-prefix", value: "a b", variable: "SCHEDULER_REDIS_KEY_PREFIX" },
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
    // The clock line states the skew and its limit; the heartbeat line the heartbeats' age.
    expect(report.checks.find((c: { check: string }) => c.check === "clock").detail).toMatch(
      /\(±\d+(ms|s)\), within --max-skew 2s$/,
    );
    expect(report.checks.find((c: { check: string }) => c.check === "heartbeats").detail).toContain(
      `oldest heartbeat`,
    );
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
    // Every check is reported; those that need the store say so.
    const json = await runBinary(["doctor", "--timeout", "2s", "--json"], {
      ...backend.env,
      [`SCHEDULER_${backend.name.toUpperCase()}_URL`]: url,
    });
    const checks = JSON.parse(json.stdout).checks as { check: string; status: string; detail: string }[];
    expect(checks.map((c) => c.check)).toEqual(DOCTOR_CHECKS);
    for (const check of checks.slice(2))
      expect(check).toMatchObject({ status: "skipped", detail: expect.stringContaining("not reachable") });
  });

  it("single-job actions exit 3 for a missing job, 1 for a job in a status they do not apply to, 2 for a malformed id", async () => {
    const missing = "0190e0e0-0000-7000-8000-000000000000";
    for (const action of ["retry", "cancel", "promote"]) {
      const result = await sched("jobs", action, missing, "--json");
      expect(result.code).toBe(3);
      expect(jsonError(result).code).toBe("JOB_NOT_FOUND");
    }
    expect((await sched("jobs", "delete", missing, "--yes")).code).toBe(3);
    expect((await sched("jobs", "promote", "x".repeat(300))).code).toBe(2);

    // ids.pending waits in a queue no handler of `s` serves: it is pending.
    const promote = await sched("jobs", "promote", ids.pending, "--json");
    expect(promote.code).toBe(1);
    expect(jsonError(promote)).toEqual({
      code: "NOT_PROMOTABLE",
      message: expect.stringContaining(`job ${ids.pending} is pending`),
    });
    const retry = await sched("jobs", "retry", ids.pending);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain("only dead or cancelled jobs can be retried");

    const done = await s.enqueue({ name: "ok", queue: "ops" });
    await until(async () => (await s.getJob(done.id))?.status === "completed");
    const cancel = await sched("jobs", "cancel", done.id, "--json");
    expect(cancel.code).toBe(1);
    expect(jsonError(cancel).code).toBe("NOT_CANCELLABLE");
    expect((await s.getJob(done.id))?.status).toBe("completed");

    s.register(
      "hang",
      (_job, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
    );
    const running = await s.enqueue({ name: "hang", queue: "ops" });
    await until(async () => (await s.getJob(running.id))?.status === "running");
    const remove = await sched("jobs", "delete", running.id, "--yes", "--json");
    expect(remove.code).toBe(1);
    expect(jsonError(remove)).toEqual({
      code: "NOT_DELETABLE",
      message: expect.stringContaining("cancel it"),
    });
    expect((await sched("jobs", "cancel", running.id)).stdout).toBe(`job ${running.id} is cancelled`);
    expect((await sched("jobs", "cancel", running.id)).code).toBe(0);
    expect((await sched("jobs", "promote", running.id)).code).toBe(1);
    expect((await sched("jobs", "delete", running.id)).code).toBe(2);
    expect((await sched("jobs", "delete", running.id, "--yes")).stdout).toBe(
      `deleted job ${running.id} (it was cancelled)`,
    );
    expect(await s.getJob(running.id)).toBeNull();
  });

  it("an action on a store that cannot be reached exits 1, naming no secret", async () => {
    const url =
      backend.name === "postgres"
        ? "postgres://root:hunter2@127.0.0.1:1/test"
        : "redis://:hunter2@127.0.0.1:1";
    const result = await runBinary(["jobs", "promote", ids.scheduled, "--json"], {
      ...backend.env,
      [`SCHEDULER_${backend.name.toUpperCase()}_URL`]: url,
    });
    expect(result.code).toBe(1);
    expect(jsonLines(result.stderr).at(-1)).toEqual({ error: expect.anything() });
    expect(result.stderr).not.toContain("hunter2");
  });

  it("queues pause and resume refuse a queue the store does not know, and create none", async () => {
    for (const action of ["pause", "resume"]) {
      const typo = await sched("queues", action, "reprots", "--json");
      expect(typo.code).toBe(3);
      const error = jsonError(typo);
      expect(error.code).toBe("QUEUE_NOT_FOUND");
      expect(error.message).toMatch(/known queues: (.+, )?emails, (.+, )?reports/);
      expect(error.message).toContain("--create");
    }
    expect((await s.listQueues()).map((queue) => queue.name)).not.toContain("reprots");
    expect((await sched("queues", "pause", "bad/name?")).code).toBe(2);
    expect((await sched("queues", "pause", "later", "--create")).stdout).toBe("queue later is paused");
    expect((await s.getQueue("later")).paused).toBe(true);
    expect((await sched("queues", "resume", "later")).stdout).toBe("queue later is active");
  });

  it("schedules commands refuse an unknown schedule with exit 3, listing the known ones, and create none", async () => {
    for (const argv of [["pause"], ["resume"], ["trigger"], ["next"]]) {
      const typo = await sched("schedules", ...argv, "nightyl", "--json");
      expect(typo.code).toBe(3);
      expect(jsonError(typo)).toEqual({
        code: "SCHEDULE_NOT_FOUND",
        message: expect.stringContaining("known schedules: nightly"),
      });
    }
    expect((await s.listSchedules()).map((schedule) => schedule.name)).toEqual(["nightly"]);
  });

  it("a bad connection setting names the flag it came from, or the variable", async () => {
    const { flag, value, variable } = backend.badSetting;
    const fromFlag = await sched(flag, value, "status");
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toMatch(new RegExp(`^sched: ${flag}: `));
    expect(fromFlag.stderr).not.toContain(variable);
    const fromVariable = await runBinary(["status", "--json"], { ...backend.env, [variable]: value });
    expect(fromVariable.code).toBe(2);
    expect(jsonError(fromVariable)).toEqual({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(new RegExp(`^${variable}: `)),
    });
    const url = await sched("--url", "not a url", "status");
    expect(url.stderr).toMatch(/^sched: --url: /);
    expect(url.stderr).not.toContain("not a url");
  });

  it("serve that cannot listen exits 1 with that error alone: no warning about a store that is fine", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const result = await runBinary(["serve", "--host", "127.0.0.1", "--port", port], {
        ...backend.env,
        SCHEDULER_HTTP_TOKENS: `ops:write:${WRITE_TOKEN}`,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/EADDRINUSE|in use/);
      expect(result.stderr).not.toContain("could not be reached");
      expect(result.stderr).not.toContain("STORE_CLOSED");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("serve starts on a store it cannot reach and says so in one warning naming the server, never its URL", async () => {
    const variable = `SCHEDULER_${backend.name.toUpperCase()}_URL`;
    const url =
      backend.name === "postgres"
        ? "postgres://root:hunter2@127.0.0.1:1/test"
        : "redis://:hunter2@127.0.0.1:1";
    const server = await startServe(["--json"], {
      ...backend.env,
      [variable]: url,
      SCHEDULER_HTTP_TOKENS: `ops:write:${WRITE_TOKEN}`,
    });
    await until(async () => server.stderr().includes("could not be reached"), 20_000);
    const queues = await fetch(`${server.url}/api/queues`, {
      headers: { authorization: `Bearer ${WRITE_TOKEN}` },
    });
    expect(queues.status).toBe(503);
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    const warnings = jsonLines(stopped.stderr).filter((line) => "warning" in (line as object));
    expect(warnings).toEqual([{ warning: { message: expect.any(String) } }]);
    const message = (warnings[0] as { warning: { message: string } }).warning.message;
    expect(message).toMatch(
      new RegExp(
        `^${backend.name === "postgres" ? "PostgreSQL" : "Redis"} at 127\\.0\\.0\\.1:1\\b.* could not be reached at startup \\(STORE_[A-Z_]+\\): serving anyway; the API answers 503 until it can reach it$`,
      ),
    );
    expect(stopped.stderr).not.toContain("hunter2");
  });

  it("serve redacts payload fields and appends write actions to an audit log file, from flags", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sched-audit-"));
    const file = join(dir, "audit.jsonl");
    try {
      const server = await startServe(["--redact", "apiKey", "--audit-log", file], {
        ...backend.env,
        SCHEDULER_HTTP_TOKENS: `viewer:read:${READ_TOKEN},ops:write:${WRITE_TOKEN}`,
      });
      const get = await fetch(`${server.url}/api/jobs/${ids.scheduled}`, {
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(await get.json()).toMatchObject({ id: ids.scheduled, payload: { apiKey: "[redacted]" } });
      const pause = await fetch(`${server.url}/api/queues/reports/pause`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      });
      expect(pause.status).toBe(200);
      const refused = await fetch(`${server.url}/api/queues/reports/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${READ_TOKEN}` },
      });
      expect(refused.status).toBe(403);
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
      const entries = readFileSync(file, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(entries).toEqual([
        { at: expect.any(String), who: "ops", action: "queue.pause", target: "reports", ok: true },
        expect.objectContaining({ who: "viewer", target: "reports", ok: false, error: "FORBIDDEN" }),
      ]);
      expect(readFileSync(file, "utf8")).not.toContain(WRITE_TOKEN);
      // Appended, not overwritten, by the next run; payloads hidden from the variables.
      const again = await startServe(["--json"], {
        ...backend.env,
        SCHEDULER_HTTP_TOKENS: `ops:write:${WRITE_TOKEN}`,
        SCHEDULER_HTTP_HIDE_PAYLOADS: "true",
        SCHEDULER_HTTP_AUDIT_LOG: file,
      });
      const hidden = await fetch(`${again.url}/api/jobs/${ids.scheduled}`, {
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      });
      expect(((await hidden.json()) as { payload: unknown }).payload).toBe("[hidden]");
      await fetch(`${again.url}/api/queues/reports/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${WRITE_TOKEN}` },
      });
      const ended = await again.stop();
      expect(ended.code).toBe(0);
      expect(jsonLines(ended.stderr)).toEqual([
        { info: { message: expect.stringContaining("serving"), url: again.url } },
        { info: { message: "stopped" } },
      ]);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(3);
      expect(JSON.parse(lines[2] as string)).toMatchObject({ action: "queue.resume", ok: true });
      expect((await s.getQueue("reports")).paused).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serve refuses an audit log it cannot write (exit 1) and contradicting payload settings (exit 2), naming their source", async () => {
    const env = { ...backend.env, SCHEDULER_HTTP_TOKENS: `write:${WRITE_TOKEN}`, SCHEDULER_HTTP_PORT: "0" };
    const unwritable = await runBinary(["serve", "--audit-log", "/nonexistent-dir/audit.jsonl"], env);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toMatch(/^sched: --audit-log: cannot open "\/nonexistent-dir\/audit.jsonl"/);
    const fromVariable = await runBinary(["serve", "--json"], {
      ...env,
      SCHEDULER_HTTP_AUDIT_LOG: "/nonexistent-dir/audit.jsonl",
    });
    expect(fromVariable.code).toBe(1);
    expect(jsonError(fromVariable)).toEqual({
      code: "AUDIT_LOG_UNWRITABLE",
      message: expect.stringMatching(/^SCHEDULER_HTTP_AUDIT_LOG: /),
    });
    expect((await runBinary(["serve", "--hide-payloads", "--redact", "a"], env)).code).toBe(2);
    const both = await runBinary(["serve"], {
      ...env,
      SCHEDULER_HTTP_HIDE_PAYLOADS: "yes",
      SCHEDULER_HTTP_REDACT: "a.b",
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("SCHEDULER_HTTP_HIDE_PAYLOADS and SCHEDULER_HTTP_REDACT contradict");
    // A flag does not quietly weaken what a variable asked for, nor the other way round.
    const mixed = await runBinary(["serve", "--redact", "user.email"], {
      ...env,
      SCHEDULER_HTTP_HIDE_PAYLOADS: "true",
    });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("SCHEDULER_HTTP_HIDE_PAYLOADS and --redact contradict");
    const reversed = await runBinary(["serve", "--hide-payloads"], { ...env, SCHEDULER_HTTP_REDACT: "a.b" });
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain("--hide-payloads and SCHEDULER_HTTP_REDACT contradict");
    const path = await runBinary(["serve", "--redact", "user..email"], env);
    expect(path.stderr).toMatch(/^sched: --redact: "user..email"/);
    const port = await runBinary(["serve"], { ...env, SCHEDULER_HTTP_PORT: "http" });
    expect(port.stderr).toMatch(/^sched: SCHEDULER_HTTP_PORT: /);
    expect((await runBinary(["serve", "--port", "99999"], env)).stderr).toMatch(/^sched: --port: /);
  });
});

describe("the sched binary", () => {
  it("exits 2 on a usage error and 0 for --help", async () => {
    expect((await runBinary(["jobs", "list", "--limit", "x"], {})).code).toBe(2);
    const help = await runBinary(["jobs", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("retry");
  });

  it.each([
    [["jobs", "list", "--frob"], "UNKNOWN_OPTION", "--frob"],
    [["jobs", "get"], "MISSING_ARGUMENT", "'id'"],
    [["frobnicate"], "UNKNOWN_COMMAND", "frobnicate"],
    [["jobs", "list", "--order", "sideways"], "USAGE", '--order: expected one of asc, desc, got "sideways"'],
    [
      ["--store", "oracle", "status"],
      "USAGE",
      '--store: expected one of memory, postgres, redis, mongodb, got "oracle"',
    ],
    [["jobs", "list", "--cursor"], "MISSING_OPTION_VALUE", "--cursor"],
    [["jobs", "get", "a", "b"], "EXCESS_ARGUMENTS", "get"],
    [["jobs"], "MISSING_COMMAND", "sched jobs needs a command: list, get"],
    [["jobs", "list", "--limit", "x"], "USAGE", "--limit"],
    [["jobs", "delete", "--status", "dead"], "USAGE", "--yes"],
  ])("with --json, %j is one JSON error on stderr (%s), exit 2", async (argv, code, words) => {
    const result = await runBinary([...argv, "--json"], {});
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(jsonError(result)).toEqual({ code, message: expect.stringContaining(words) });
    // Without --json, the same error is text.
    const text = await runBinary(argv, {});
    expect(text.code).toBe(2);
    expect(text.stderr).not.toContain("{");
  });

  it("with --json, warnings are JSON lines too", async () => {
    const result = await runBinary(["jobs", "get", "no-such-job", "--json"], {});
    expect(result.code).toBe(3);
    expect(jsonLines(result.stderr)).toEqual([
      { warning: { message: expect.stringContaining("the store is memory") } },
      { error: { code: "JOB_NOT_FOUND", message: 'job "no-such-job" was not found' } },
    ]);
  });

  it("with --json, a warning of Node.js or of a library is a JSON line too, not Node's text", async () => {
    // The pg driver warns about sslmode=require with process.emitWarning: several lines of text
    // came before the JSON error line.
    const url = new URL(PG_URL);
    url.password = "hunter2";
    url.searchParams.set("sslmode", "require");
    const env = { SCHEDULER_STORE: "postgres", SCHEDULER_POSTGRES_URL: url.toString() };
    const result = await runBinary(["status", "--json"], env);
    expect(result.code).toBe(1);
    const lines = jsonLines(result.stderr);
    expect(lines[0]).toEqual({ warning: { message: expect.stringContaining("SECURITY WARNING") } });
    expect(lines.at(-1)).toEqual({ error: { code: "STORE_ERROR", message: expect.any(String) } });
    expect(result.stderr).not.toContain("hunter2");
    // Without --json it is one line of text, as every other warning.
    const text = await runBinary(["status"], env);
    expect(text.stderr.split("\n")[0]).toMatch(/^sched: warning: SECURITY WARNING: .*\\n/);
  });
});

describe("sched doctor on a PostgreSQL schema without the migrations", () => {
  const env = {
    SCHEDULER_STORE: "postgres",
    SCHEDULER_POSTGRES_URL: PG_URL,
    SCHEDULER_POSTGRES_SCHEMA: `cli_unmigrated_${suffix}`,
  };

  it("reports the migrations as the problem, still reads the clock, and skips what needs the tables, saying why", async () => {
    const result = await runBinary(["doctor", "--json"], env);
    expect(result.code).toBe(4);
    const checks = JSON.parse(result.stdout).checks as { check: string; status: string; detail: string }[];
    expect(checks.map((c) => c.check)).toEqual(DOCTOR_CHECKS);
    const byName = Object.fromEntries(checks.map((c) => [c.check, c]));
    expect(byName.connectivity?.status).toBe("ok");
    expect(byName.migrations).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("sched migrate"),
    });
    expect(byName.clock).toMatchObject({ status: "ok", detail: expect.stringContaining("PostgreSQL now()") });
    for (const name of ["instances", "leader", "heartbeats"])
      expect(byName[name]).toMatchObject({
        status: "skipped",
        detail: expect.stringContaining("not migrated"),
      });
    expect(result.stdout).not.toContain("not reachable");
    const status = await runBinary(["status"], env);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain("run sched migrate");
  });

  it("sched serve starts, and warns once that the tables are not migrated", async () => {
    const server = await startServe([], { ...env, SCHEDULER_HTTP_TOKENS: `ops:write:${WRITE_TOKEN}` });
    await until(async () => server.stderr().includes("MIGRATION_REQUIRED"), 20_000);
    const jobs = await fetch(`${server.url}/api/jobs`, {
      headers: { authorization: `Bearer ${WRITE_TOKEN}` },
    });
    expect(jobs.status).toBe(503);
    expect(await jobs.json()).toMatchObject({ error: { code: "MIGRATION_REQUIRED" } });
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr.split("\n").filter((line) => line.startsWith("sched: warning:"))).toEqual([
      expect.stringMatching(
        /^sched: warning: PostgreSQL at 127\.0\.0\.1:5432\b.* answers, but its tables are not migrated \(MIGRATION_REQUIRED\): run sched migrate; serving anyway, and the API answers 503 MIGRATION_REQUIRED until then$/,
      ),
    ]);
  });
});

describe("the sched binary's output", () => {
  it("stops quietly when its reader closes the pipe early (sched --help | head -1)", async () => {
    const child = spawn("node", [BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    // The reader is gone before the help is written, as when `head -1` has had its line.
    child.stdout?.destroy();
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
