/** `@sched/leader-mongodb`: leader election for @sched on a MongoDB lease document. */
export { fromEnv } from "./from-env.js";
export { type LeaseDocument, leaseId } from "./lease-document.js";
export { MongoLeader, type MongoLeaderOptions } from "./mongo-leader.js";
