export { fromEnv } from "./from-env.js";
export { PostgresLeader, type PostgresLeaderOptions } from "./postgres-leader.js";
