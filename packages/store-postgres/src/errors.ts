import { SchedulerError } from "@sched/core/adapter";

/** Options of {@link MigrationRequiredError}. */
export interface MigrationRequiredErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /**
   * The environment variable that turns `autoMigrate` on, for a store configured from the
   * environment (`SCHEDULER_POSTGRES_AUTO_MIGRATE`): the message then says to set it to `true`.
   */
  autoMigrateVariable?: string;
}

/**
 * The store's tables do not exist, or are at an older migration version than this package needs.
 * Nothing was changed. Run `await store.migrate()` once (or apply the package's
 * `migrations/*.sql` with your own migration tool, or, for a store built by `fromEnv`, set
 * `SCHEDULER_POSTGRES_AUTO_MIGRATE=true`), then retry.
 */
export class MigrationRequiredError extends SchedulerError {
  /** The schema the store was configured with. */
  readonly schema: string;
  /** The table prefix the store was configured with. */
  readonly tablePrefix: string;
  /** The highest migration version applied there (0 when none was, or the tables are missing). */
  readonly currentVersion: number;
  /** The version this package needs. */
  readonly requiredVersion: number;

  /**
   * Creates the error (code `MIGRATION_REQUIRED`) for the tables `schema`.`tablePrefix`*.
   *
   * @param currentVersion - the version applied there, 0 when none was.
   * @param requiredVersion - the version this package needs.
   * @param options - the `cause`, and the variable that turns `autoMigrate` on when the store was
   *   configured from the environment.
   */
  constructor(
    schema: string,
    tablePrefix: string,
    currentVersion: number,
    requiredVersion: number,
    options?: MigrationRequiredErrorOptions,
  ) {
    const found =
      currentVersion === 0
        ? "have not been created"
        : `are at migration version ${currentVersion}, and this package needs version ${requiredVersion}`;
    const migrateByHand =
      "run await store.migrate() once (or apply the SQL files in @sched/store-postgres/migrations)";
    const remedy =
      options?.autoMigrateVariable === undefined
        ? migrateByHand
        : `set ${options.autoMigrateVariable}=true to migrate on first use, or ${migrateByHand}`;
    super(
      "MIGRATION_REQUIRED",
      `the @sched/store-postgres tables in schema "${schema}" with prefix "${tablePrefix}" ${found}; ${remedy}, then retry`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.schema = schema;
    this.tablePrefix = tablePrefix;
    this.currentVersion = currentVersion;
    this.requiredVersion = requiredVersion;
  }
}
