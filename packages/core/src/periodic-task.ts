/** Re-exports the periodic task for modules that import it from here. */
export { PeriodicTask } from "./time/periodic-task.js";
