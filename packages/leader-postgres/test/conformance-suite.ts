import { randomUUID } from "node:crypto";
import { type RecordingLogger, recordingLogger, waitFor } from "@sched/testing";
import {
  type LeaderFactoryOptions,
  type LeaderWithConnection,
  leaderConformance,
} from "@sched/testing/conformance";
import pg from "pg";
import { afterEach } from "vitest";
import { PostgresLeader, type PostgresLeaderOptions } from "../src/index.js";
import { uniqueSchema, useLockTableSchema, withApplicationName } from "./postgres.js";

/** How the leaders of a conformance run reach PostgreSQL. */
export interface LeaderConnection {
  /** The label of the run, in the suite's name. */
  label: string;
  /** The label of the file's schema (see `uniqueSchema`). */
  schemaLabel: string;
  /** The URL the leaders connect to; read once the tests run. */
  url(): string;
  /** `host:port` of `url()`, which a refused connection's message names. */
  address(): string;
  /** The `poolMode` of every leader, when not the default. */
  poolMode?: PostgresLeaderOptions["poolMode"];
  /**
   * Whether the server can terminate the leaders' idle sessions, found by their
   * `application_name` on the direct URL (not so behind a pooler).
   */
  killIdleConnections?: boolean;
}

/**
 * Runs the Leader conformance suite on `PostgresLeader`s that connect as `connection` says, with
 * the failure scenarios: a pool ended behind the leader's back, idle sessions terminated (when
 * `connection.killIdleConnections`), the lease row held locked by another session on the server,
 * the lease stolen by a higher term, and a refused login.
 */
export function postgresLeaderConformance(connection: LeaderConnection): void {
  const schema = uniqueSchema(connection.schemaLabel);
  const admin = useLockTableSchema(schema);
  const locksTable = `"${schema}".scheduler_locks`;
  const poolMode = connection.poolMode === undefined ? {} : { poolMode: connection.poolMode };

  /** The options every leader of a test gets: the file's schema and the test's lease. */
  const leaseOf = ({ instanceId, ttlMs, namespace, logger }: LeaderFactoryOptions) => ({
    ...poolMode,
    schema,
    instanceId,
    ttl: ttlMs,
    name: namespace,
    logger,
  });

  /** Pools and blocking sessions a test opened, ended after it. */
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  // The server terminates the leader's idle sessions, found by their application_name.
  const killIdleConnections = async (
    options: LeaderFactoryOptions,
  ): Promise<LeaderWithConnection<PostgresLeader>> => {
    const applicationName = `leader-${randomUUID().slice(0, 8)}`;
    const logger: RecordingLogger = recordingLogger();
    const leader = new PostgresLeader({
      connectionString: withApplicationName(applicationName),
      ...leaseOf({ ...options, logger }),
    });
    const act = async (): Promise<void> => {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [applicationName],
      );
      await waitFor(() => logger.lines.some((line) => line.message.includes("idle connection")));
    };
    return { leader, act };
  };

  leaderConformance(
    connection.label,
    (options) => new PostgresLeader({ connectionString: connection.url(), ...leaseOf(options) }),
    {
      ttlMs: 400,
      failures: {
        get address() {
          return connection.address();
        },
        // A pool of the test's own, ended behind the leader's back.
        cutConnection: async (options) => {
          const pool = new pg.Pool({ connectionString: connection.url() });
          const leader = new PostgresLeader({ pool, ...leaseOf(options) });
          return { leader, act: () => pool.end() };
        },
        ...(connection.killIdleConnections === true ? { killIdleConnections } : {}),
        // Another session (on the server directly) holds the lease row locked, so the renewal waits.
        stallBackend: async (options) => {
          const leader = new PostgresLeader({ connectionString: connection.url(), ...leaseOf(options) });
          const { namespace } = options;
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
            const { rows } = await admin.query(`SELECT holder FROM ${locksTable} WHERE name = $1`, [
              namespace,
            ]);
            return rows[0]?.holder === "intruder";
          };
        },
        refusedLeader: (options) => {
          const secret = "s3cr3t-Pa55";
          const leader = new PostgresLeader({
            connectionString: `postgres://someone:${secret}@127.0.0.1:1/test`,
            ...leaseOf(options),
          });
          return { leader, address: "127.0.0.1:1", secret };
        },
      },
    },
  );
}
