import { createScheduler, MemoryStore, type Scheduler } from "@sched/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, runInProcess, SECRET_PAYLOAD, seed, until } from "./fixture.js";

// The command code run in this process against one memory store shared with a running scheduler
// (the binary's tests, against PostgreSQL and Redis, are in binary.test.ts).
let store: MemoryStore;
let s: Scheduler;
let ids: Awaited<ReturnType<typeof seed>>;
const sched = (...argv: string[]) => runInProcess(argv, { store });

beforeAll(async () => {
  store = new MemoryStore();
  s = createScheduler({ store, logger: quiet, pollInterval: "20ms" });
  ids = await seed(s);
});

afterAll(async () => {
  await s.stop({ timeout: 0 });
  await store.close();
});

describe("sched in process", () => {
  it("prints help with exit code 0 and usage errors with exit code 2", async () => {
    const help = await sched("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      "Exit codes: 0 ok, 1 failure or refused, 2 usage error, 3 not found, 4 doctor found problems",
    );
    expect((await sched()).code).toBe(2);
    const unknown = await sched("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^sched: unknown command 'frobnicate'/);
    expect((await sched("jobs", "list", "--limit", "0")).code).toBe(2);
    expect((await sched("jobs", "list", "--status", "exploded")).code).toBe(2);
    expect((await sched("jobs", "list", "--since", "yesterday")).code).toBe(2);
    // A date that does not exist is refused, not rolled over to the next month.
    for (const value of ["2026-02-30", "2026-04-31T00:00:00Z", "2026-01-01T25:00:00Z"]) {
      const refused = await sched("jobs", "list", "--since", value);
      expect(refused.code, value).toBe(2);
      expect(refused.stderr, value).toContain("--since");
    }
    expect((await sched("jobs", "list", "--since", "2024-02-29")).code).toBe(0);
    // Numbers in decimal digits only, as the HTTP API takes them; a window that ends before it starts.
    for (const argv of [
      ["jobs", "list", "--limit", "0x10"],
      ["jobs", "list", "--limit", "1e3"],
      ["jobs", "list", "--limit", " 7"],
      ["schedules", "next", "nightly", "-n", "2e0"],
      ["jobs", "list", "--since", "1h", "--until", "2h"],
    ]) {
      expect((await sched(...argv)).code, argv.join(" ")).toBe(2);
    }
    expect((await sched("jobs", "list", "--limit", "7")).code).toBe(0);
    // Outside the years 1 to 9999: refused naming the flag, not the store's field.
    for (const [flag, value] of [
      ["--since", "0000-06-01"],
      ["--since", "99999999999999999d"],
      ["--until", "+010000-01-01T00:00:00Z"],
    ]) {
      const refused = await sched("jobs", "list", flag as string, value as string);
      expect(refused.code, value).toBe(2);
      expect(refused.stderr, value).toContain(flag);
      expect(refused.stderr, value).not.toContain("from");
    }
    expect((await sched("jobs", "list", "--order", "sideways")).code).toBe(2);
    expect((await sched("--version")).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("every error caused by a flag's value names the flag, whoever checks the value", async () => {
    const cases: [string[], string][] = [
      [["jobs", "list", "--queue", "bad queue"], "--queue: expected 1-200 characters"],
      [["jobs", "list", "--name", "bad name"], "--name: expected 1-200 characters"],
      [["jobs", "list", "--group", ""], "--group: expected a string of 1 to 255 characters"],
      [["jobs", "list", "--cursor", "garbage"], "--cursor: expected the nextCursor of a previous page"],
      [["jobs", "list", "--limit", "0"], '--limit: expected an integer from 1 to 1000, got "0"'],
      [["jobs", "list", "--order", "sideways"], '--order: expected one of asc, desc, got "sideways"'],
      [["jobs", "retry", "--status", "pending"], "--status: only dead or cancelled jobs can be retried"],
      [["jobs", "retry", "--queue", "bad queue"], "--queue: expected 1-200 characters"],
      [["jobs", "delete", "--name", "bad name", "--yes"], "--name: expected 1-200 characters"],
      [["dead", "retry-all", "--queue", "bad queue"], "--queue: expected 1-200 characters"],
      [["dead", "retry-all", "--name", "bad name"], "--name: expected 1-200 characters"],
      [
        ["--store", "sqlite", "status"],
        '--store: expected one of memory, postgres, redis, mongodb, got "sqlite"',
      ],
      [["--store", "redis", "--schema", "s", "status"], "--schema: a setting of the postgres store"],
      [["--url", "redis://x", "status"], "--url: needs --store postgres, redis or mongodb"],
    ];
    for (const [argv, message] of cases) {
      const text = await sched(...argv);
      expect(text.code, argv.join(" ")).toBe(2);
      expect(text.stderr.split("\n").at(-1), argv.join(" ")).toMatch(
        new RegExp(`^sched: ${escaped(message)}`),
      );
      // The same message as one JSON line, as every other usage error.
      const json = await sched(...argv, "--json");
      expect(json.code, argv.join(" ")).toBe(2);
      const { error } = JSON.parse(json.stderr.split("\n").at(-1) as string);
      expect(error.message, argv.join(" ")).toMatch(new RegExp(`^${escaped(message)}`));
    }
    // A --store that is not a plain word (a connection string in the wrong flag) is not echoed.
    const url = await sched("--store", "postgres://u:hunter2@h/db", "status");
    expect(url.code).toBe(2);
    expect(url.stderr).toContain("--store: expected one of");
    expect(url.stderr).not.toContain("hunter2");
    // Commander's own wording for a value it checked is gone.
    expect((await sched("jobs", "list", "--order", "up")).stderr).not.toContain("Allowed choices");
  });

  it("with --json, parse errors are one JSON object on stderr, with exit code 2", async () => {
    const cases: [string[], string][] = [
      [["jobs", "list", "--frob"], "UNKNOWN_OPTION"],
      [["nope"], "UNKNOWN_COMMAND"],
      [["schedules"], "MISSING_COMMAND"],
      [["jobs", "retry", "a", "b"], "EXCESS_ARGUMENTS"],
    ];
    for (const [argv, code] of cases) {
      const result = await sched(...argv, "--json");
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stderr)).toEqual({ error: { code, message: expect.any(String) } });
    }
    expect(JSON.parse((await sched("--json")).stderr).error.message).toBe(
      "sched needs a command: migrate, status, jobs, dead, queues, schedules, doctor, serve",
    );
    // After --, --json is an argument, not the flag.
    expect((await sched("jobs", "get", "--", "--json")).stderr).toMatch(/^sched: /);
  });

  it("prints job data and echoed arguments terminal-safe: escapes, C1 and bidi controls are shown, not obeyed", async () => {
    const own = new MemoryStore();
    const producer = createScheduler({ store: own, logger: quiet });
    const hostile = {
      group: "g\u001b[2J\u001b]0;pwned\u0007",
      uniqueKey: "k\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\\r",
      metadata: { "\u001b[31mkey": "v\u009b31m", file: "invoice\u202egnp.exe" },
    };
    const job = await producer.enqueue({
      name: "hostile",
      queue: "q",
      payload: { x: "\u001bc" },
      ...hostile,
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
    const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    for (const argv of [
      ["jobs", "get", job.id],
      ["jobs", "get", job.id, "--payload"],
      ["jobs", "list", "--queue", "q"],
      ["jobs", "list", "--status", "\u001b[2Jdead"],
      ["jobs", "get", "\u001b[2J"],
      ["frob\u009bnicate"],
    ]) {
      const result = await runInProcess(argv, { store: own });
      expect(result.stdout + result.stderr, argv.join(" ")).not.toMatch(controls);
    }
    const human = await runInProcess(["jobs", "get", job.id], { store: own });
    expect(human.stdout).toContain("g\\u001b[2J\\u001b]0;pwned\\u0007");
    // A metadata key or value with a line break prints no line of its own that reads as a field.
    const forged = await producer.enqueue({
      name: "forged",
      queue: "q",
      metadata: { "k\nstatus:        completed": "v\nfinished:  never", plain: "x" },
    });
    const forgedView = (await runInProcess(["jobs", "get", forged.id], { store: own })).stdout;
    expect(forgedView.split("\n").filter((line) => line.startsWith("status:"))).toEqual([
      expect.stringMatching(/^status:\s+pending$/),
    ]);
    expect(forgedView).not.toMatch(/^finished:\s+never/m);
    expect(forgedView).toContain("metadata k status:        completed:");
    // JSON output stays the same data: the escapes are JSON's own.
    const json = await runInProcess(["jobs", "get", job.id, "--payload", "--json"], { store: own });
    expect(json.stdout).not.toMatch(controls);
    expect(JSON.parse(json.stdout)).toMatchObject({ ...hostile, payload: { x: "\u001bc" } });
    await own.close();
  });

  it("status lists queues with counts and the running instance as leader", async () => {
    const human = await sched("status");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/emails\s+active\s+0\s+0\s+0\s+0\s+1\s+2/);
    expect(human.stdout).toContain(`leader: ${s.instanceId}`);
    // BUSY is read from the heartbeat: the table says so, and how often it is renewed.
    expect(human.stdout.split("\n").at(-1)).toBe(
      "BUSY and LEADER are as of each instance's last heartbeat (LAST SEEN), renewed every 10s",
    );
    const json = JSON.parse((await sched("status", "--json")).stdout);
    expect(json.leader).toBe(s.instanceId);
    expect(json.instances).toHaveLength(1);
    expect(json.queues.map((q: { name: string }) => q.name)).toEqual(["emails", "reports"]);
    expect(json.queues[0].counts).toMatchObject({ dead: 1, completed: 2 });
  });

  it("jobs list filters, pages by cursor and hides payloads unless --payload", async () => {
    const all = await sched("jobs", "list");
    expect(all.code).toBe(0);
    expect(all.stdout.split("\n")).toHaveLength(6);
    expect(all.stdout).not.toContain("payload-secret");
    const first = JSON.parse((await sched("jobs", "list", "--json", "--limit", "2")).stdout);
    expect(first.jobs).toHaveLength(2);
    expect(first.jobs[0].payload).toBeUndefined();
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = JSON.parse(
      (await sched("jobs", "list", "--json", "--limit", "2", "--cursor", first.nextCursor)).stdout,
    );
    expect(second.jobs[0].id).not.toBe(first.jobs[0].id);
    const more = await sched("jobs", "list", "--limit", "2");
    expect(more.stderr).toContain("--cursor ");
    expect(more.stderr).not.toContain("--order");
    // Descending pages: the hint keeps the order, and a cursor given without it names the flag.
    const newest = await sched("jobs", "list", "--limit", "2", "--order", "desc");
    const hint = /add --cursor (\S+) --order desc/.exec(newest.stderr);
    expect(hint, newest.stderr).not.toBeNull();
    const followed = await sched(
      "jobs",
      "list",
      "--json",
      "--limit",
      "2",
      "--order",
      "desc",
      "--cursor",
      hint![1]!,
    );
    expect(followed.code).toBe(0);
    const forgotten = await sched("jobs", "list", "--limit", "2", "--cursor", hint![1]!);
    expect(forgotten.code).toBe(2);
    expect(forgotten.stderr).toContain(
      "--cursor: this cursor continues pages in descending order: pass --order desc",
    );
    const reports = JSON.parse(
      (await sched("jobs", "list", "--json", "--queue", "reports", "--group", "t1")).stdout,
    );
    expect(reports.jobs.map((j: { id: string }) => j.id)).toEqual([ids.pending]);
    const statuses = JSON.parse((await sched("jobs", "list", "--json", "--status", "dead,scheduled")).stdout);
    expect(statuses.jobs.map((j: { status: string }) => j.status).sort()).toEqual(["dead", "scheduled"]);
    const desc = JSON.parse(
      (await sched("jobs", "list", "--json", "--order", "desc", "--since", "1h")).stdout,
    );
    expect(desc.jobs[0].id).toBe(ids.scheduled);
    const future = JSON.parse((await sched("jobs", "list", "--json", "--since", "2999-01-01")).stdout);
    expect(future.jobs).toEqual([]);
    expect((await sched("jobs", "list", "--until", "2000-01-01")).stdout).toBe("no jobs match");
    const shown = JSON.parse((await sched("jobs", "list", "--json", "--name", "boom", "--payload")).stdout);
    expect(shown.jobs[0].payload).toEqual(SECRET_PAYLOAD);
  });

  it("jobs get shows a job with its failed attempts, exit code 3 when there is none", async () => {
    const human = await sched("jobs", "get", ids.dead);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("status:");
    expect(human.stdout).toContain("kaboom");
    expect(human.stdout).toContain("payload: hidden");
    expect(human.stdout).not.toContain("payload-secret");
    expect((await sched("jobs", "get", ids.dead, "--payload")).stdout).toContain("payload-secret-4242");
    const json = JSON.parse((await sched("jobs", "get", ids.dead, "--json")).stdout);
    expect(json).toMatchObject({ id: ids.dead, status: "dead", name: "boom" });
    expect(json.payload).toBeUndefined();
    const missing = await sched("jobs", "get", "no-such-job", "--json");
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr)).toEqual({
      error: { code: "JOB_NOT_FOUND", message: expect.any(String) },
    });
  });

  it("a flag given twice is a usage error naming it, not the last value kept", async () => {
    for (const args of [
      ["jobs", "list", "--queue=a", "--queue", "b"],
      ["jobs", "list", "--json", "--json"],
    ]) {
      const result = await sched(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--(queue|json) is given more than once/);
    }
    expect((await sched("jobs", "list", "--queue", "a", "--", "--queue")).stderr).not.toContain(
      "more than once",
    );
  });

  it("a message quoting input is one line: an id with line breaks cannot print a second message", async () => {
    const forged = await sched("jobs", "get", "zz\nsched: warning: forged\u2028x");
    expect(forged.code).toBe(3);
    expect(forged.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(forged.stderr).toContain("\\nsched: warning: forged\\u2028x");
  });

  it("jobs promote, cancel and retry change one job; retry refuses a job that is not dead", async () => {
    const promoted = await sched("jobs", "promote", ids.scheduled, "--json");
    expect(promoted.code).toBe(0);
    expect(JSON.parse(promoted.stdout).status).toBe("pending");
    const refused = await sched("jobs", "retry", ids.scheduled);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("only dead or cancelled jobs can be retried");
    const cancelled = await sched("jobs", "cancel", ids.scheduled);
    expect(cancelled.stdout).toBe(`job ${ids.scheduled} is cancelled`);
    const retried = await sched("jobs", "retry", ids.scheduled);
    expect(retried.stdout).toBe(`retried job ${ids.scheduled}: now pending`);
    expect((await sched("jobs", "retry", "no-such-job")).code).toBe(3);
    expect((await sched("jobs", "retry", ids.scheduled, "--queue", "x")).code).toBe(2);
    expect((await sched("jobs", "retry")).code).toBe(2);
    expect((await sched("jobs", "cancel", "no-such-job")).code).toBe(3);
  });

  it("queues pause and resume; queues list shows the state", async () => {
    expect((await sched("queues", "pause", "reports")).stdout).toBe("queue reports is paused");
    const list = JSON.parse((await sched("queues", "list", "--json")).stdout);
    expect(list.find((q: { name: string }) => q.name === "reports").paused).toBe(true);
    expect((await sched("queues", "list")).stdout).toMatch(/reports\s+paused/);
    expect((await sched("queues", "resume", "reports", "--json")).stdout).toContain('"paused": false');
  });

  it("shows a setting's duration exactly: a rate limit's window, an interval, a timeout", async () => {
    // 1,500 ms was shown as 2s and 3,599,999 ms as 1h: another setting than the one stored.
    await s.configureQueue("window-a", { rateLimit: { max: 3, per: 1500 } });
    await s.configureQueue("window-b", { rateLimit: { max: 3, per: 3_599_999 } });
    await s
      .every(90)
      .seconds()
      .do("every-90s", async () => {});
    const job = await s.enqueue({ name: "never", queue: "window-a", timeout: "1m30.5s" });
    try {
      const list = (await sched("queues", "list")).stdout;
      expect(list).toMatch(/window-a .*3\/1\.5s/);
      expect(list).toMatch(/window-b .*3\/59m59\.999s/);
      expect((await sched("schedules", "list")).stdout).toMatch(/every-90s .*every 1m30s/);
      expect((await sched("jobs", "get", job.id)).stdout).toMatch(/^timeout: +1m30\.5s$/m);
    } finally {
      await s.cancel(job.id);
      await s.unschedule("every-90s");
    }
  });

  it("a queue is known by its jobs, its stored state, or a running instance that serves it", async () => {
    const other = createScheduler({
      store,
      logger: quiet,
      queues: ["nightly-exports"],
      pollInterval: "20ms",
    });
    await other.start();
    try {
      expect((await sched("queues", "pause", "nightly-exports")).stdout).toBe(
        "queue nightly-exports is paused",
      );
      expect((await sched("queues", "resume", "nightly-exports")).code).toBe(0);
    } finally {
      await other.stop({ timeout: 0 });
    }
    const unknown = await sched("queues", "pause", "nightly-exprots");
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("known queues: emails, nightly-exports, reports");
  });

  it("schedules list, next, pause, resume and trigger; an unknown schedule exits 3", async () => {
    const list = await sched("schedules", "list");
    expect(list.stdout).toMatch(/nightly\s+active\s+0 3 \* \* \*/);
    const json = JSON.parse((await sched("schedules", "list", "--json")).stdout);
    expect(json[0].definition.job.payload).toBeUndefined();
    const withPayload = JSON.parse((await sched("schedules", "list", "--json", "--payload")).stdout);
    expect(withPayload[0].definition.job.payload).toEqual(SECRET_PAYLOAD);
    const next = JSON.parse((await sched("schedules", "next", "nightly", "-n", "3", "--json")).stdout);
    expect(next.next).toHaveLength(3);
    expect(next.next[0]).toMatch(/T03:00:00\.000Z$/);
    expect((await sched("schedules", "next", "nightly")).stdout.split("\n")).toHaveLength(5);
    expect((await sched("schedules", "next", "nightly", "-n", "0")).code).toBe(2);
    expect((await sched("schedules", "pause", "nightly")).stdout).toBe("schedule nightly is paused");
    expect((await sched("schedules", "resume", "nightly")).stdout).toBe("schedule nightly is active");
    const triggered = await sched("schedules", "trigger", "nightly", "--json");
    expect(JSON.parse(triggered.stdout).name).toBe("nightly");
    expect(triggered.stdout).not.toContain("payload-secret");
    expect((await sched("schedules", "trigger", "nightly")).stdout).toMatch(
      /^schedule nightly enqueued job /,
    );
    expect((await sched("schedules", "pause", "missing")).code).toBe(3);
  });

  it("doctor passes with a leader and reports no store clock for memory", async () => {
    const human = await sched("doctor");
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("no problems found");
    const report = JSON.parse((await sched("doctor", "--json")).stdout);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { check: string }) => c.check)).toEqual([
      "config",
      "connectivity",
      "migrations",
      "instances",
      "leader",
      "clock",
      "heartbeats",
    ]);
    expect((await sched("doctor", "--max-skew", "soon")).code).toBe(2);
    expect((await sched("doctor", "--timeout", "0")).code).toBe(2);
    // Past one Node.js timer's longest wait: the checks would time out at once.
    const long = await sched("doctor", "--timeout", "30d");
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("at most 24d");
  });

  it("doctor's heartbeat line states the oldest heartbeat's age against its limit, not a skew", async () => {
    const report = JSON.parse((await sched("doctor", "--json", "--max-skew", "0")).stdout);
    const heartbeats = report.checks.find((c: { check: string }) => c.check === "heartbeats");
    expect(heartbeats.status).toBe("ok");
    expect(heartbeats.detail).toMatch(
      /^1 instance\(s\); oldest heartbeat \d+(ms|s) old by this machine's clock \(limit 10s: the 10s interval \+ --max-skew 0ms\); none ahead of it by more than 0ms$/,
    );
    expect(heartbeats.detail).not.toContain("within 0ms of");
    // The limits are shown as given, never rounded (1500ms was shown as 2s, the limit as 12s).
    const exact = JSON.parse((await sched("doctor", "--json", "--max-skew", "1500ms")).stdout);
    expect(exact.checks.find((c: { check: string }) => c.check === "heartbeats").detail).toMatch(
      /\(limit 11\.5s: the 10s interval \+ --max-skew 1\.5s\); none ahead of it by more than 1\.5s$/,
    );
  });

  it("doctor finds a heartbeat from the future (a clock ahead) and exits 4", async () => {
    const result = await runInProcess(["doctor", "--json"], { store, now: () => Date.now() - 60_000 });
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout);
    expect(report.checks.find((c: { check: string }) => c.check === "heartbeats")).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("clock ahead"),
    });
  });

  it("a bulk retry says so when jobs stay dead because an active job holds their uniqueKey", async () => {
    const own = new MemoryStore();
    const worker = createScheduler({ store: own, logger: quiet, pollInterval: "20ms" });
    worker.register("fails", () => {
      throw new Error("no");
    });
    await worker.start();
    const dead = await worker.enqueue({ name: "fails", queue: "held", uniqueKey: "k", maxRetries: 0 });
    await until(async () => (await own.getJob(dead.id))?.status === "dead");
    await worker.stop({ timeout: 0 });
    // Another job now holds the key: the dead one cannot come back while it is active.
    const producer = createScheduler({ store: own, logger: quiet });
    await producer.enqueue({ name: "fails", queue: "held", uniqueKey: "k" });
    for (const argv of [
      ["dead", "retry-all", "--queue", "held"],
      ["jobs", "retry", "--queue", "held", "--status", "dead"],
    ]) {
      const result = await runInProcess(argv, { store: own });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^retried 0 /);
      expect(result.stderr).toContain(
        `stay dead: an active job holds their uniqueKey (such as job ${dead.id})`,
      );
      const json = await runInProcess([...argv, "--json"], { store: own });
      expect(JSON.parse(json.stdout)).toEqual({ count: 0 });
      expect(JSON.parse(json.stderr).warning.message).toContain(dead.id);
    }
    await own.close();
  });

  it("jobs retry by filter leaves cancelled jobs alone unless --status cancelled names them", async () => {
    const kept = await s.enqueue({ name: "later", queue: "kept", delay: "1h" });
    await s.cancel(kept.id);
    const unnamed = await sched("jobs", "retry", "--queue", "kept", "--json");
    expect(JSON.parse(unnamed.stdout)).toEqual({ count: 0 });
    expect((await s.getJob(kept.id))?.status).toBe("cancelled");
    const named = await sched("jobs", "retry", "--queue", "kept", "--status", "cancelled", "--json");
    expect(JSON.parse(named.stdout)).toEqual({ count: 1 });
    expect((await s.getJob(kept.id))?.status).toBe("pending");
    await s.cancel(kept.id);
  });

  it("dead retry-all and jobs retry by filter move dead jobs back; jobs delete needs a filter and --yes", async () => {
    expect((await sched("jobs", "delete", "--status", "completed")).code).toBe(2);
    expect((await sched("jobs", "delete", "--yes")).code).toBe(2);
    const none = JSON.parse((await sched("dead", "retry-all", "--queue", "reports", "--json")).stdout);
    expect(none).toEqual({ count: 0 });
    const retried = await sched("dead", "retry-all", "--queue", "emails", "--name", "boom");
    expect(retried.stdout).toBe("retried 1 dead job");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const byFilter = await sched("jobs", "retry", "--status", "dead", "--json");
    expect(JSON.parse(byFilter.stdout)).toEqual({ count: 1 });
    const deleted = await sched(
      "jobs",
      "delete",
      "--status",
      "completed",
      "--queue",
      "emails",
      "--yes",
      "--json",
    );
    expect(JSON.parse(deleted.stdout)).toEqual({ count: 2 });
    expect(
      (await sched("jobs", "delete", "--status", "completed", "--queue", "emails", "--yes")).stdout,
    ).toBe("deleted 0 jobs");
  });

  it("migrate says the memory store has nothing to migrate", async () => {
    const result = await sched("migrate", "--json");
    expect(JSON.parse(result.stdout)).toEqual({ store: "memory", migrated: false });
  });

  it("refuses connection flags the store does not take, and bad SCHEDULER_* settings, with exit code 2", async () => {
    expect((await runInProcess(["status", "--url", "redis://x"])).code).toBe(2);
    expect((await runInProcess(["status", "--store", "redis", "--schema", "s"])).code).toBe(2);
    expect((await runInProcess(["status", "--store", "postgres", "--key-prefix", "p"])).code).toBe(2);
    expect((await runInProcess(["status", "--table-prefix", "p"])).code).toBe(2);
    const typo = await runInProcess(["status"], { env: { SCHEDULER_STOER: "redis" } });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("SCHEDULER_STORE");
    const doctor = await runInProcess(["doctor", "--json"], { env: { SCHEDULER_STORE: "oracle" } });
    expect(doctor.code).toBe(4);
    expect(JSON.parse(doctor.stdout).checks[0]).toMatchObject({ check: "config", status: "problem" });
  });

  it("warns that a memory store from the environment is empty and private to the process", async () => {
    const result = await runInProcess(["jobs", "list"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("the store is memory (SCHEDULER_STORE is unset)");
    expect(result.stderr).toContain("holds nothing between runs");
    expect(result.stdout).toBe("no jobs match");
  });

  it("hints at an unset SCHEDULER_STORE only when it is unset, and names where memory was chosen", async () => {
    for (const [argv, env, chosenBy] of [
      [["--store", "memory", "queues", "list"], {}, "(--store memory)"],
      [["queues", "list"], { SCHEDULER_STORE: "memory" }, "(SCHEDULER_STORE=memory)"],
    ] as const) {
      const result = await runInProcess([...argv], { env });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `sched: warning: the store is memory ${chosenBy}: it holds nothing between runs, so this process has its own empty store`,
      );
      expect(result.stderr).not.toContain("unset");
    }
    const empty = await runInProcess(["queues", "list"], { env: { SCHEDULER_STORE: "" } });
    expect(empty.stderr).toContain("(SCHEDULER_STORE is empty)");
  });
});

/** `text` as a literal in a regular expression. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
