export type { PoolMode } from "./connection/pool.js";
export { MigrationRequiredError, type MigrationRequiredErrorOptions } from "./errors.js";
export { fromEnv } from "./from-env.js";
export { type LoadMigrationsOptions, loadMigrations, type Migration, SCHEMA_VERSION } from "./migrations.js";
export type { PostgresStoreOptions } from "./options.js";
export { PostgresStore } from "./postgres-store.js";
