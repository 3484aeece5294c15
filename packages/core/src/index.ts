export * from "./clock.js";
export * from "./duration.js";
export * from "./errors.js";
export * from "./ids.js";
export * from "./leader.js";
export * from "./store.js";
export * from "./types.js";
