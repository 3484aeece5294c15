import { storeConformance } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;
// The application's connections, on which the transactions tests run BEGIN.
const application = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });

beforeAll(async () => {
  schema = await schemas.migrated("sched_conf");
});

afterAll(async () => {
  await Promise.all([schemas.dropAll(), application.end()]);
});

// One migrated schema for the file; each test gets a store of its own and an emptied schema.
storeConformance("PostgresStore", () => schemas.store(schema), {
  cleanup: async (store) => {
    const { tablePrefix } = store as PostgresStore;
    const tables = [
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
    ].map((table) => `"${schema}"."${tablePrefix}${table}"`);
    await schemas.admin.query(`TRUNCATE ${tables.join(", ")}`);
  },
  // A second instance: the same schema, a pool and LISTEN connection of its own.
  openPeer: (store) => schemas.store((store as PostgresStore).schema),
  // Data lost as in a restore of an empty database: every table of the store emptied, its epoch
  // (in the meta table) included. The migrations table records the schema, not data: it stays.
  wipe: async (store) => {
    const { tablePrefix } = store as PostgresStore;
    const tables = [
      "jobs",
      "schedules",
      "locks",
      "meta",
      "queues",
      "queue_groups",
      "group_arrivals",
      "dedupe_windows",
      "job_counts",
      "job_count_deltas",
      "instances",
      "throughput",
    ].map((table) => `"${schema}"."${tablePrefix}${table}"`);
    await schemas.admin.query(`TRUNCATE ${tables.join(", ")}`);
  },
  // An application transaction: a client of the application's pool after BEGIN, released when it ends.
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
