import { PostgresStore } from "@sched/store-postgres";
import type { Contender } from "../contender.js";
import { dropSchema, postgresUrl, schemaBytes, vacuumsEnded } from "./postgres.js";
import { createSchedContender } from "./sched-common.js";

const SCHEMA = "bench_sched";

/**
 * @sched/core with `PostgresStore`, in a schema of its own (`bench_sched`, dropped before and after
 * the run), at its defaults except `workers` (the bench's concurrency, 50): `prefetch` = 3 ×
 * workers = 150, `claimBatchSize` = max(workers + prefetch, 50) = 200
 * (PostgresStore declares `largeClaims` and `wholePrefetchClaims`),
 * `pollInterval` 1 s. The handler is `async`, as users write them; it calls the workload's handler first.
 */
export function createContender(schema = SCHEMA): Contender {
  const url = postgresUrl();
  return createSchedContender({
    name: "sched-postgres",
    createStore: () => new PostgresStore({ connectionString: url, schema }),
    migrate: (store) => store.migrate(),
    clean: () => dropSchema(url, schema),
    storeBytes: () => schemaBytes(url, schema),
    settle: async () => {
      await vacuumsEnded(url, schema);
    },
  });
}
