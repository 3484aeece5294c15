export { MemoryLeaderGroup } from "./leader-group.js";
export { MemoryLeader, type MemoryLeaderOptions } from "./memory-leader.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
