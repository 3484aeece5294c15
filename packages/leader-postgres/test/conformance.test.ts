import { postgresLeaderConformance } from "./conformance-suite.js";
import { connectionString } from "./postgres.js";

postgresLeaderConformance({
  label: "PostgresLeader",
  schemaLabel: "conformance",
  url: () => connectionString,
  address: () => new URL(connectionString).host,
  killIdleConnections: true,
});
