// The Leader conformance suite with every statement of the leaders going through PgBouncer in
// transaction mode (a private PgBouncer on a free port), `poolMode: "transaction"`.
import { PrivatePgBouncer } from "@sched/test-servers";
import { leaderConformance } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, afterEach, beforeAll } from "vitest";
import { PostgresLeader } from "../src/index.js";
import { connectionString, uniqueSchema, useLockTableSchema } from "./postgres.js";

const bouncer = new PrivatePgBouncer({ target: connectionString, poolSize: 10 });
beforeAll(() => bouncer.start(), 60_000);
afterAll(() => bouncer.remove());

const schema = uniqueSchema("bouncer_conf");
const admin = useLockTableSchema(schema);
const locksTable = `"${schema}".scheduler_locks`;

/** Pools and blocking sessions a test opened, ended after it. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

leaderConformance(
  "PostgresLeader behind PgBouncer (transaction pooling)",
  ({ instanceId, ttlMs, namespace, logger }) =>
    new PostgresLeader({
      connectionString: bouncer.url,
      poolMode: "transaction",
      schema,
      instanceId,
      ttl: ttlMs,
      name: namespace,
      logger,
    }),
  {
    ttlMs: 400,
    failures: {
      get address() {
        return `127.0.0.1:${bouncer.port}`;
      },
      // A pool of the test's own (to PgBouncer), ended behind the leader's back.
      cutConnection: async ({ instanceId, ttlMs, namespace, logger }) => {
        const pool = new pg.Pool({ connectionString: bouncer.url });
        const leader = new PostgresLeader({
          pool,
          poolMode: "transaction",
          schema,
          instanceId,
          ttl: ttlMs,
          name: namespace,
          logger,
        });
        return { leader, act: () => pool.end() };
      },
      // Another session (on the server directly) holds the lease row locked, so the renewal waits.
      stallBackend: async ({ instanceId, ttlMs, namespace, logger }) => {
        const leader = new PostgresLeader({
          connectionString: bouncer.url,
          poolMode: "transaction",
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
          poolMode: "transaction",
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
