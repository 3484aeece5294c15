import { MongoStore } from "@sched/store-mongodb";
import type { Contender } from "../contender.js";
import { dropDatabase, mongoUrl } from "./mongodb.js";
import { createSchedContender } from "./sched-common.js";

/** The store's database: dropped before and after the run. */
const DATABASE = "bench_sched";

/**
 * @sched/core with `MongoStore` (`@sched/store-mongodb`) in a database of its own
 * (`bench_sched`), at its defaults (change streams when the deployment has them) except `workers`
 * (the bench's concurrency, 50).
 */
export function createContender(): Contender {
  const url = mongoUrl();
  return createSchedContender({
    name: "sched-mongodb",
    createStore: () => new MongoStore({ url, dbName: DATABASE }),
    migrate: (store) => store.migrate(),
    clean: () => dropDatabase(url, DATABASE),
  });
}
