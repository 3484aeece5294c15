import { randomUUID } from "node:crypto";
import { type RecordingLogger, recordingLogger, waitFor } from "@sched/testing";
import { leaderConformance } from "@sched/testing/conformance";
import pg from "pg";
import { afterEach } from "vitest";
import { PostgresLeader } from "../src/index.js";
import { connectionString, uniqueSchema, useLockTableSchema, withApplicationName } from "./postgres.js";

const schema = uniqueSchema("conformance");
const admin = useLockTableSchema(schema);
const locksTable = `"${schema}".scheduler_locks`;

/** Pools and blocking sessions a test opened, ended after it. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

leaderConformance(
  "PostgresLeader",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new PostgresLeader({ connectionString, schema, instanceId, ttl: ttlMs, name: namespace, logger }),
  {
    ttlMs: 400,
    failures: {
      address: new URL(connectionString).host,
      // A pool of the test's own, ended behind the leader's back.
      cutConnection: async ({ instanceId, ttlMs, namespace, logger }) => {
        const pool = new pg.Pool({ connectionString });
        const leader = new PostgresLeader({ pool, schema, instanceId, ttl: ttlMs, name: namespace, logger });
        return { leader, act: () => pool.end() };
      },
      // The server terminates the leader's idle sessions, found by their application_name.
      killIdleConnections: async ({ instanceId, ttlMs, namespace }) => {
        const applicationName = `leader-${randomUUID().slice(0, 8)}`;
        const logger: RecordingLogger = recordingLogger();
        const leader = new PostgresLeader({
          connectionString: withApplicationName(applicationName),
          schema,
          instanceId,
          ttl: ttlMs,
          name: namespace,
          logger,
        });
        const act = async (): Promise<void> => {
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            [applicationName],
          );
          await waitFor(() => logger.lines.some((line) => line.message.includes("idle connection")));
        };
        return { leader, act };
      },
      // Another session holds the lease row locked, so the leader's renewal waits on it.
      stallBackend: async ({ instanceId, ttlMs, namespace, logger }) => {
        const leader = new PostgresLeader({
          connectionString,
          schema,
          instanceId,
          ttl: ttlMs,
          name: namespace,
          logger,
        });
        const stall = async (): Promise<() => Promise<void>> => {
          const blocker = await admin.connect();
          await blocker.query("BEGIN");
          await blocker.query(`SELECT * FROM ${locksTable} WHERE name = $1 FOR UPDATE`, [namespace]);
          let released = false;
          const resume = async (): Promise<void> => {
            if (released) return;
            released = true;
            await blocker.query("ROLLBACK");
            blocker.release();
          };
          cleanups.push(resume);
          return resume;
        };
        return { leader, stall };
      },
      // Another holder with a higher term, as a newer leadership would write it.
      stealLease: async (namespace) => {
        await admin.query(
          `UPDATE ${locksTable} SET holder = 'intruder', term = term + 1,
             expires_at = clock_timestamp() + interval '10 seconds' WHERE name = $1`,
          [namespace],
        );
        return async () => {
          const { rows } = await admin.query(`SELECT holder FROM ${locksTable} WHERE name = $1`, [namespace]);
          return rows[0]?.holder === "intruder";
        };
      },
      refusedLeader: ({ instanceId, ttlMs, namespace, logger }) => {
        const secret = "s3cr3t-Pa55";
        const leader = new PostgresLeader({
          connectionString: `postgres://someone:${secret}@127.0.0.1:1/test`,
          schema,
          instanceId,
          ttl: ttlMs,
          name: namespace,
          logger,
        });
        return { leader, address: "127.0.0.1:1", secret };
      },
    },
  },
);
