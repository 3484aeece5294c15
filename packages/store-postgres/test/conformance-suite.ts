import type { Store } from "@sched/core";
import { storeConformance } from "@sched/testing/conformance";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import type { PostgresStore } from "../src/index.js";
import type { TestSchemas } from "./helpers.js";

/** How the stores of a conformance run reach PostgreSQL. */
export interface StoreConnection {
  /** The label of the run, the suite's name. */
  label: string;
  /** The label of the run's schema (see `TestSchemas.name`). */
  schemaLabel: string;
  /** Where the run's schemas are made; the caller drops them after its tests. */
  schemas: TestSchemas;
  /** A new store on `schema`, as the run connects it. */
  open(schema: string): PostgresStore;
  /** The URL of the application's connections, on which the transactions tests run BEGIN; read before the tests. */
  applicationUrl(): string;
}

/** The tables of a store's data: emptied between tests. */
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

/**
 * Runs the Store conformance suite on stores `connection.open` makes: one schema for the file,
 * migrated by such a store before the tests; each test gets a store of its own and an emptied
 * schema, a peer is another store on the same schema, and an application transaction is a client
 * of a pool (of 2) on `connection.applicationUrl()` after BEGIN.
 */
export function postgresStoreConformance(connection: StoreConnection): void {
  const { schemas } = connection;
  let schema: string;
  let application: pg.Pool;

  beforeAll(async () => {
    application = new pg.Pool({ connectionString: connection.applicationUrl(), max: 2 });
    schema = schemas.name(connection.schemaLabel);
    const store = connection.open(schema);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  }, 60_000);

  afterAll(async () => {
    await application?.end();
  });

  async function truncate(store: Store, tables: readonly string[]): Promise<void> {
    const { schema: on, tablePrefix } = store as PostgresStore;
    const names = tables.map((table) => `"${on}"."${tablePrefix}${table}"`);
    await schemas.locking(`TRUNCATE ${names.join(", ")}`);
  }

  storeConformance(connection.label, () => connection.open(schema), {
    cleanup: (store) => truncate(store, DATA_TABLES),
    // A second instance: the same schema, a pool and LISTEN connection of its own.
    openPeer: (store) => connection.open((store as PostgresStore).schema),
    // Data lost as in a restore of an empty database: every table of the store emptied, its epoch
    // (in the meta table) included. The migrations table records the schema, not data: it stays.
    wipe: (store) => truncate(store, [...DATA_TABLES, "locks", "meta"]),
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
}
