/**
 * `@sched/store-mongodb/connection`: the connection plumbing of the MongoDB adapters, shared by
 * `@sched/store-mongodb` and `@sched/leader-mongodb`: a client made from a URL or given (with its
 * database), the checks of those options and of collection names, what the deployment supports,
 * the description of its hosts for messages, driver errors turned into `StoreError`s without
 * secrets, and bounded waits and close.
 *
 * @packageDocumentation
 */

export { answerWithin, CLOSE_STEP_MS, closeConnection } from "./bounded.js";
export { type DeploymentFeatures, probeDeployment } from "./deployment.js";
export { MONGODB_ENV_VARIABLES, MONGODB_VARIABLE_OF_OPTION } from "./env-variables.js";
export { assertCollectionPrefix, assertDatabaseName, DEFAULT_COLLECTION_PREFIX } from "./names.js";
export {
  type ConnectionOptions,
  checkConnectionOptions,
  isMongoClient,
  type MongoConnection,
  type OwnedClientSettings,
  openConnection,
} from "./open.js";
export { errorLabelsOf, redact, sanitizedError } from "./redact.js";
export { describeServer, type ServerDescription } from "./server.js";
export {
  DUPLICATE_KEY,
  isConnectionError,
  isDuplicateKeyError,
  isNotPrimaryError,
  isTransientError,
  serverCodeOf,
  storeError,
} from "./store-error.js";
