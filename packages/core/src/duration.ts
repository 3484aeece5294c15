/** Re-exports durations for modules that import them from here. */
export { type Duration, parseDuration } from "./time/duration.js";
