export { ATTR, MESSAGING_SYSTEM, METRICS, SECONDS_BUCKETS } from "./names.js";
export { type OtelOptions, otel, SCOPE_NAME } from "./otel.js";
export { w3cTraceContext } from "./trace-context.js";
