/** Re-exports the resolved options for modules that import them from here. */
export type { ResolvedOptions } from "./config/options.js";
