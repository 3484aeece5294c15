/**
 * Stores that `fromEnv` built, and the variable that turns `autoMigrate` on for them, so that
 * their `MIGRATION_REQUIRED` errors name a setting their users can change
 * (`SCHEDULER_POSTGRES_AUTO_MIGRATE`) rather than only a call they may never write. Internal: not
 * exported from the package.
 */
const autoMigrateVariables = new WeakMap<object, string>();

/** Records that `store` was configured from the environment, where `variable` turns `autoMigrate` on. */
export function markConfiguredFromEnvironment(store: object, variable: string): void {
  autoMigrateVariables.set(store, variable);
}

/** The variable that turns `autoMigrate` on for `store`, if it was configured from the environment. */
export function autoMigrateVariableOf(store: object): string | undefined {
  return autoMigrateVariables.get(store);
}
