// The Store conformance suite and the scheduler scenarios, run with every statement going through
// PgBouncer in transaction mode (a private PgBouncer on a free port) and LISTEN on a direct
// connection: what `README.md`'s "Behind PgBouncer" recommends.
import type { Store } from "@sched/core";
import { PrivatePgBouncer } from "@sched/test-servers";
import { storeConformance, storeSchedulerScenarios } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const bouncer = new PrivatePgBouncer({ target: POSTGRES_URL, poolSize: 10 });
const schemas = new TestSchemas();
let schema: string;
/** The application's connections, through PgBouncer too: the transactions tests run BEGIN on them. */
let application: pg.Pool;

beforeAll(async () => {
  await bouncer.start();
  application = new pg.Pool({ connectionString: bouncer.url, max: 2 });
  schema = schemas.name("sched_bconf");
  const store = pooledStore(schema);
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}, 60_000);

afterAll(async () => {
  await application?.end();
  await schemas.dropAll();
  await bouncer.remove();
});

/** A store whose statements go through PgBouncer and whose LISTEN connection goes to PostgreSQL. */
function pooledStore(on: string): PostgresStore {
  return new PostgresStore({
    connectionString: bouncer.url,
    poolMode: "transaction",
    listenConnectionString: POSTGRES_URL,
    schema: on,
    poolSize: 4,
  });
}

const DATA_TABLES = [
  "jobs",
  "schedules",
  "queues",
  "queue_groups",
  "group_arrivals",
  "dedupe_windows",
  "job_counts",
  "job_count_deltas",
  "instances",
  "throughput",
];

async function truncate(store: Store, tables: readonly string[]): Promise<void> {
  const { schema: on, tablePrefix } = store as PostgresStore;
  const names = tables.map((table) => `"${on}"."${tablePrefix}${table}"`);
  await schemas.admin.query(`TRUNCATE ${names.join(", ")}`);
}

storeConformance("PostgresStore behind PgBouncer (transaction pooling)", () => pooledStore(schema), {
  cleanup: (store) => truncate(store, DATA_TABLES),
  openPeer: (store) => pooledStore((store as PostgresStore).schema),
  wipe: (store) => truncate(store, [...DATA_TABLES, "locks", "meta"]),
  beginTransaction: async () => {
    const client = await application.connect();
    try {
      await client.query("BEGIN");
    } catch (error) {
      client.release(true);
      throw error;
    }
    const end = async (statement: "COMMIT" | "ROLLBACK") => {
      try {
        await client.query(statement);
      } finally {
        client.release();
      }
    };
    return { transaction: client, commit: () => end("COMMIT"), rollback: () => end("ROLLBACK") };
  },
});

// Each scenario gets a schema of its own, migrated through PgBouncer.
storeSchedulerScenarios(
  "PostgresStore behind PgBouncer (transaction pooling)",
  async () => {
    const store = pooledStore(schemas.name("sched_be2e"));
    await store.migrate();
    return store;
  },
  { openPeer: (store) => pooledStore((store as PostgresStore).schema) },
);
