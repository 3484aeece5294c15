/** Re-exports the clock for modules that import it from here. */
export { type Clock, systemClock, type TimerHandle } from "./time/clock.js";
