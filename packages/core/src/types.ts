/** Re-exports the logger contract for modules that import it from here. */
export type { Logger } from "./logger/logger.js";
