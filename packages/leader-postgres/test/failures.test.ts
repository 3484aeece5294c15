import { randomUUID } from "node:crypto";
import { StoreError } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresLeader } from "../src/index.js";
import {
  connectionString,
  leaderFactory,
  sleep,
  uniqueName,
  uniqueSchema,
  useLockTableSchema,
  withApplicationName,
} from "./postgres.js";

const schema = uniqueSchema("failures");
const admin = useLockTableSchema(schema);
const leaders = leaderFactory({ schema });
afterEach(() => leaders.closeAll());

/** The pid of a session of `applicationName` waiting for a lock, once there is one. */
function waitingBackend(applicationName: string): Promise<number> {
  return waitFor(async () => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [applicationName],
    );
    return rows[0]?.pid;
  });
}

describe("PostgresLeader when renewals fail", () => {
  it("steps down at the first failed renewal once its pool is ended; others take over after the TTL", async () => {
    const name = uniqueName();
    const pool = new pg.Pool({ connectionString });
    const logger = recordingLogger();
    const a = leaders.make({ pool, instanceId: "a", name, ttl: 400, logger });
    const b = leaders.make({ instanceId: "b", name, ttl: 400 });
    const changes: Array<[boolean, number]> = [];
    a.onLeaderChange((isLeader, term) => changes.push([isLeader, term]));
    expect(await a.acquire()).toBe(true);
    await pool.end();

    expect(await a.acquire()).toBe(false);
    expect(a.isLeader()).toBe(false);
    expect(changes).toEqual([
      [true, a.term],
      [false, a.term],
    ]);
    expect(logger.lines.map((line) => line.level)).toEqual(["warn"]);

    // The lease is still a's on the server until its TTL has passed.
    expect(await b.acquire()).toBe(false);
    await sleep(450);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });

  it("steps down when its backend is terminated during a renewal; others take over after the TTL", async () => {
    const name = uniqueName();
    const applicationName = `leader-${randomUUID().slice(0, 8)}`;
    const a = leaders.make({
      connectionString: withApplicationName(applicationName),
      instanceId: "a",
      name,
      ttl: 2_000,
      logger: recordingLogger(),
    });
    const b = leaders.make({ instanceId: "b", name, ttl: 2_000 });
    expect(await a.acquire()).toBe(true);

    // Hold the lease row so that a's renewal waits on it, then kill a's session.
    const blocker = await admin.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(`SELECT * FROM "${schema}".scheduler_locks WHERE name = $1 FOR UPDATE`, [name]);
      const renewal = a.acquire();
      const pid = await waitingBackend(applicationName);
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      expect(await renewal).toBe(false);
      expect(a.isLeader()).toBe(false);
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
    }

    expect(await b.acquire()).toBe(false);
    await sleep(2_050);
    expect(await b.acquire()).toBe(true);
    expect(b.term).toBeGreaterThan(a.term);
  });

  it("gives up on a renewal that gets no answer within the local lease", async () => {
    const name = uniqueName();
    const a = leaders.make({ instanceId: "a", name, ttl: 500, logger: recordingLogger() });
    expect(await a.acquire()).toBe(true);
    const blocker = await admin.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(`SELECT * FROM "${schema}".scheduler_locks WHERE name = $1 FOR UPDATE`, [name]);
      const started = performance.now();
      expect(await a.acquire()).toBe(false);
      expect(performance.now() - started).toBeLessThan(500);
      expect(a.isLeader()).toBe(false);
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
    }
  });

  it("survives an idle connection killed by the server and renews on a new one", async () => {
    const name = uniqueName();
    const applicationName = `leader-${randomUUID().slice(0, 8)}`;
    const logger = recordingLogger();
    const a = leaders.make({
      connectionString: withApplicationName(applicationName),
      instanceId: "a",
      name,
      logger,
    });
    expect(await a.acquire()).toBe(true);
    const term = a.term;
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [
      applicationName,
    ]);
    await waitFor(() => logger.lines.some((line) => line.message.includes("idle connection")));
    expect(await a.acquire()).toBe(true);
    expect(a.term).toBe(term);
  });

  it("reports a refused connection by host:port, never with the password", async () => {
    const secret = "s3cr3t-Pa55";
    const refused = `postgres://someone:${secret}@127.0.0.1:1/test`;
    const logger = recordingLogger();
    const leader = new PostgresLeader({ connectionString: refused, schema, ttl: 1_000, logger });
    try {
      const error = await leader.migrate().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain("127.0.0.1:1");
      expect((error as StoreError).message).not.toContain(secret);

      expect(await leader.acquire()).toBe(false);
      expect(leader.isLeader()).toBe(false);
      expect(logger.lines).toHaveLength(1);
      const logged = JSON.stringify(logger.lines);
      expect(logged).toContain("127.0.0.1:1");
      expect(logged).not.toContain(secret);
      await expect(leader.release()).rejects.toThrow(/127\.0\.0\.1:1/);
    } finally {
      await leader.close();
    }
  });

  it("logs the first failures and then every 20th as warnings, the rest at debug", async () => {
    const logger = recordingLogger();
    const leader = new PostgresLeader({ connectionString: "postgres://127.0.0.1:1/test", schema, logger });
    try {
      for (let i = 0; i < 40; i++) expect(await leader.acquire()).toBe(false);
      const warnings = logger.lines.filter((line) => line.level === "warn");
      expect(warnings.map((line) => (line.fields as { failures: number }).failures)).toEqual([
        1, 2, 3, 20, 40,
      ]);
      expect(logger.lines).toHaveLength(40);
    } finally {
      await leader.close();
    }
  });
});
