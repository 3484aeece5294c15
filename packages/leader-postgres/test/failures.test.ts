import { randomUUID } from "node:crypto";
import { StoreError } from "@sched/core";
import { recordingLogger, waitFor } from "@sched/testing";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresLeader } from "../src/index.js";
import {
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

  it("migrate() reports a refused connection by host:port, never with the password", async () => {
    const secret = "s3cr3t-Pa55";
    const refused = `postgres://someone:${secret}@127.0.0.1:1/test`;
    const leader = new PostgresLeader({
      connectionString: refused,
      schema,
      ttl: 1_000,
      logger: recordingLogger(),
    });
    try {
      const error = await leader.migrate().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain("127.0.0.1:1");
      expect((error as StoreError).message).not.toContain(secret);
    } finally {
      await leader.close();
    }
  });
});

describe("PostgresLeader closed during an acquire", () => {
  it("logs nothing about the acquire that close() stopped waiting for", async () => {
    const name = uniqueName();
    const applicationName = `leader-${randomUUID().slice(0, 8)}`;
    const pool = new pg.Pool({ connectionString: withApplicationName(applicationName), max: 2 });
    const logger = recordingLogger();
    const leader = new PostgresLeader({ pool, schema, name, instanceId: "a", ttl: 3_000, logger });
    const blocker = await admin.connect();
    try {
      expect(await leader.acquire()).toBe(true);
      await blocker.query("BEGIN");
      await blocker.query(`SELECT * FROM "${schema}".scheduler_locks WHERE name = $1 FOR UPDATE`, [name]);
      const renewal = leader.acquire();
      await waitingBackend(applicationName);
      await leader.close();
      // The renewal gives up at 90% of the TTL, after close() resolved.
      expect(await renewal).toBe(false);
      expect(logger.lines.filter((line) => line.level === "warn" || line.level === "error")).toEqual([]);
    } finally {
      await blocker.query("ROLLBACK").catch(() => undefined);
      blocker.release();
      await pool.end();
    }
  });
});
