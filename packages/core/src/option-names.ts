/** Re-exports the option-name checks for modules that import them from here. */
export { assertKnownFields, assertKnownOptions, closestName } from "./validation/option-names.js";
