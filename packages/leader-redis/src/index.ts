export { fromEnv } from "./from-env.js";
export type { LeaseKeys } from "./lease-scripts.js";
export { RedisLeader, type RedisLeaderOptions } from "./redis-leader.js";
