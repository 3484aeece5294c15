import { leaderConformance } from "@sched/testing/conformance";
import { PostgresLeader } from "../src/index.js";
import { connectionString, uniqueSchema, useLockTableSchema } from "./postgres.js";

const schema = uniqueSchema("conformance");
useLockTableSchema(schema);

leaderConformance(
  "PostgresLeader",
  ({ instanceId, ttlMs, namespace }) =>
    new PostgresLeader({ connectionString, schema, instanceId, ttl: ttlMs, name: namespace }),
  { ttlMs: 400 },
);
