// The Store conformance suite and the scheduler scenarios, run with every statement going through
// PgBouncer in transaction mode (a private PgBouncer on a free port) and LISTEN on a direct
// connection: what `README.md`'s "Behind PgBouncer" recommends.
import { PrivatePgBouncer } from "@sched/test-servers";
import { storeSchedulerScenarios } from "@sched/testing/conformance";
import { afterAll, beforeAll } from "vitest";
import { PostgresStore } from "../src/index.js";
import { postgresStoreConformance } from "./conformance-suite.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const bouncer = new PrivatePgBouncer({ target: POSTGRES_URL, poolSize: 10 });
beforeAll(() => bouncer.start(), 60_000);
afterAll(() => bouncer.remove());
const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

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

// The application's connections go through PgBouncer too.
postgresStoreConformance({
  label: "PostgresStore behind PgBouncer (transaction pooling)",
  schemaLabel: "sched_bconf",
  schemas,
  open: pooledStore,
  applicationUrl: () => bouncer.url,
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
