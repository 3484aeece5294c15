// The Leader conformance suite with every statement of the leaders going through PgBouncer in
// transaction mode (a private PgBouncer on a free port), `poolMode: "transaction"`.
import { PrivatePgBouncer } from "@sched/test-servers";
import { afterAll, beforeAll } from "vitest";
import { postgresLeaderConformance } from "./conformance-suite.js";
import { connectionString } from "./postgres.js";

const bouncer = new PrivatePgBouncer({ target: connectionString, poolSize: 10 });
beforeAll(() => bouncer.start(), 60_000);
afterAll(() => bouncer.remove());

postgresLeaderConformance({
  label: "PostgresLeader behind PgBouncer (transaction pooling)",
  schemaLabel: "bouncer_conf",
  url: () => bouncer.url,
  address: () => `127.0.0.1:${bouncer.port}`,
  poolMode: "transaction",
});
