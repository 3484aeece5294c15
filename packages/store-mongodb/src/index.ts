/** `@sched/store-mongodb`: the MongoDB store of @sched. */
export { DEFAULT_COLLECTION_PREFIX } from "./connection/index.js";
