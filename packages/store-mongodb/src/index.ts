/**
 * `@sched/store-mongodb`: the MongoDB store of @sched ({@link MongoStore}). The connection
 * plumbing it shares with `@sched/leader-mongodb` is the subpath `@sched/store-mongodb/connection`.
 *
 * @packageDocumentation
 */
export { fromEnv } from "./from-env.js";
export { MongoStore } from "./mongo-store.js";
export type { MongoStoreOptions } from "./options.js";
