import { storeConformance } from "@sched/testing/conformance";
import { afterAll, beforeAll } from "vitest";
import type { PostgresStore } from "../src/index.js";
import { TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
let schema: string;

beforeAll(async () => {
  schema = await schemas.migrated("sched_conf");
});

afterAll(async () => {
  await schemas.dropAll();
});

// One migrated schema for the file; each test gets a store of its own and an emptied schema.
storeConformance("PostgresStore", () => schemas.store(schema), {
  cleanup: async (store) => {
    const { tablePrefix } = store as PostgresStore;
    await schemas.admin.query(
      `TRUNCATE "${schema}"."${tablePrefix}jobs", "${schema}"."${tablePrefix}schedules"`,
    );
  },
  // A second instance: the same schema, a pool and LISTEN connection of its own.
  openPeer: (store) => schemas.store((store as PostgresStore).schema),
  // Data lost as in a restore of an empty database: every table of the store emptied, its epoch
  // (in the meta table) included. The migrations table records the schema, not data: it stays.
  wipe: async (store) => {
    const { tablePrefix } = store as PostgresStore;
    const tables = ["jobs", "schedules", "locks", "meta"].map(
      (table) => `"${schema}"."${tablePrefix}${table}"`,
    );
    await schemas.admin.query(`TRUNCATE ${tables.join(", ")}`);
  },
});
