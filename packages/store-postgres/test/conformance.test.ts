import { afterAll } from "vitest";
import { postgresStoreConformance } from "./conformance-suite.js";
import { POSTGRES_URL, TestSchemas } from "./helpers.js";

const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

postgresStoreConformance({
  label: "PostgresStore",
  schemaLabel: "sched_conf",
  schemas,
  open: (schema) => schemas.store(schema),
  applicationUrl: () => POSTGRES_URL,
});
