export { AUDIT_CAPACITY, type AuditEntry } from "./audit-log.js";
export type { AuthOptions, Role, Session, TokenGrant } from "./auth.js";
export type { AssetSource, DashboardAsset, DashboardAssets } from "./dashboard-assets.js";
export { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from "./handler.js";
export { HttpError } from "./http-error.js";
export { type RunningServer, type ServeOptions, serve, toNodeListener } from "./node-server.js";
export { HIDDEN, type PayloadSetting, REDACTED } from "./payload-view.js";
export { MAX_BODY_BYTES, MAX_BODY_DEPTH } from "./request-input.js";
export type { OperableScheduler } from "./scheduler-surface.js";
