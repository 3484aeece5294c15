import { ConfigError } from "@sched/core/adapter";
import type pg from "pg";
import { type Queryable, withPoolClient } from "./connection/pool.js";
import { type ConnectionTarget, codeOf, storeError } from "./connection/store-error.js";
import { DEFAULT_TYPES } from "./connection/type-parsers.js";
import { MigrationRequiredError } from "./errors.js";
import { migrationLockKey, type TableNames } from "./identifiers.js";
import { type Migration, renderedMigrations, SCHEMA_VERSION } from "./migrations.js";
import { CLIENT_GRACE_MS } from "./options.js";
import type { Queries } from "./queries.js";

/** The longest timer Node.js keeps: what "no limit" means for one statement of a migration. */
const NO_LIMIT_MS = 2_147_483_647;

/** SQLSTATEs of catalog races between concurrent creators (unique violation, duplicate schema or table). */
const CREATION_RACES = new Set(["23505", "42P06", "42P07"]);

/** SQLSTATE `deadlock_detected`. */
const DEADLOCK_DETECTED = "40P01";

/** The most passes of a migration that deadlocks (see {@link Migrator.migrate}). */
const MAX_DEADLOCK_PASSES = 5;

/**
 * The store's tables over time: applies the migration files (`migrate`), and checks once, lazily,
 * that the tables are at the version this package needs before the store's first statement
 * (`ensureReady`), or migrates then with `autoMigrate`.
 */
export class Migrator {
  /** Whether the tables were found (or made) at the version this package needs. */
  ready = false;
  private check: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly names: TableNames,
    private readonly sql: Queries,
    private readonly target: ConnectionTarget,
    private readonly autoMigrate: boolean,
    /** The variable that turns `autoMigrate` on, named in errors, when the store came from the environment. */
    private readonly autoMigrateVariable: () => string | undefined,
    /** The longest one statement of a migration may run on the server, in ms (0: no limit). */
    private readonly migrationMs = 0,
    /** The option a ConfigError about the sessions' settings names: `pool`, or `connectionString`. */
    private readonly settingsField = "connectionString",
  ) {}

  /**
   * Applies the migrations not applied yet, in one transaction under an advisory lock on the
   * schema and prefix. Retried when it collides with a creator outside that lock, and (up to five
   * passes in all) when PostgreSQL ends it as a deadlock's victim.
   */
  async migrate(): Promise<void> {
    const migrations = renderedMigrations(this.names);
    for (let attempt = 1; ; attempt++) {
      try {
        await withPoolClient(this.pool, (client) => this.migrateOn(client, migrations));
        break;
      } catch (err) {
        // Another migrator outside our lock (a store with another prefix, the leader) created the
        // schema or a table at the same moment; a second pass finds it.
        if (attempt < 3 && CREATION_RACES.has(codeOf(err) ?? "")) continue;
        // PostgreSQL chose this migration as a deadlock's victim (a migration that locks the jobs
        // table more strongly after reading it, as several before 015 do, against claims of
        // running instances): everything was rolled back, and another pass may go through.
        if (attempt < MAX_DEADLOCK_PASSES && codeOf(err) === DEADLOCK_DETECTED) continue;
        if (err instanceof ConfigError) throw err;
        throw storeError(err, "migrate", this.target);
      }
    }
    this.ready = true;
  }

  /**
   * Resolves once the tables are known to be at the needed version. Reads only (unless
   * `autoMigrate`); a failed check is repeated on the next call.
   *
   * @throws MigrationRequiredError when the tables are missing or behind.
   */
  ensureReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.check ??= this.checkOnce().finally(() => {
      this.check = null;
    });
    return this.check;
  }

  /** Forgets that the tables were ready (they went away): the next call checks again. */
  invalidate(): void {
    this.ready = false;
  }

  /** The error for tables that were there and are not any more. */
  missingTables(cause: unknown): MigrationRequiredError {
    this.invalidate();
    return this.migrationRequired(0, cause);
  }

  private async checkOnce(): Promise<void> {
    if (this.autoMigrate) return this.migrate();
    let version: number;
    try {
      version = await withPoolClient(this.pool, (client) =>
        schemaVersion(client, this.sql, this.names, this.settingsField),
      );
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw storeError(err, "checking the schema version", this.target);
    }
    if (version < SCHEMA_VERSION) {
      throw this.migrationRequired(version);
    }
    this.ready = true;
  }

  private migrationRequired(currentVersion: number, cause?: unknown): MigrationRequiredError {
    const autoMigrateVariable = this.autoMigrateVariable();
    return new MigrationRequiredError(this.names.schema, this.names.prefix, currentVersion, SCHEMA_VERSION, {
      ...(cause === undefined ? {} : { cause }),
      ...(autoMigrateVariable === undefined ? {} : { autoMigrateVariable }),
    });
  }

  /**
   * One pass of {@link migrate}. Its statements have the limit of a migration, not of a store call:
   * one may rewrite a large table, or wait for another instance's migration (the advisory lock).
   */
  private async migrateOn(client: pg.PoolClient, migrations: readonly Migration[]): Promise<void> {
    const sql = this.sql;
    const clientMs = this.migrationMs === 0 ? NO_LIMIT_MS : this.migrationMs + CLIENT_GRACE_MS;
    const queryable: Queryable = {
      query: <R extends pg.QueryResultRow>(config: pg.QueryConfig) =>
        client.query<R>({ ...config, query_timeout: clientMs, types: DEFAULT_TYPES } as pg.QueryConfig),
    };
    const run = (text: string, values?: unknown[]) =>
      queryable.query(values === undefined ? { text } : { text, values });
    await run("BEGIN");
    try {
      // For this transaction only: the pool's connections keep the store's statement timeout.
      await run(`SET LOCAL statement_timeout = ${Math.floor(this.migrationMs)}`);
      await run(sql.migrationLock, [migrationLockKey(this.names)]);
      const schema = await queryable.query<{ present: boolean }>({
        text: sql.schemaExists,
        values: [this.names.schema],
      });
      // Only when missing: CREATE SCHEMA needs a privilege that an existing schema does not.
      if (!schema.rows[0]?.present) await run(sql.createSchema);
      const current = await schemaVersion(queryable, sql, this.names, this.settingsField);
      for (const migration of migrations) {
        if (migration.version > current) await run(migration.sql);
      }
      await run("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    }
  }
}

/**
 * Refuses sessions the store cannot work in: a DateStyle other than ISO (`pg` reads timestamps only
 * in that form, and would give every date of a job as `null`), or a default isolation above READ
 * COMMITTED (concurrent claims and completions would fail with serialization errors). The pools
 * the store makes set both on a session pool, and DateStyle behind a transaction pool (see
 * sessionSettings); a pool passed in keeps the application's settings.
 *
 * @throws ConfigError (`CONFIG_INVALID`, field `field`) naming the setting and how to change it.
 */
async function assertSessionSettings(client: Queryable, field: string): Promise<void> {
  const { rows } = await client.query<{ style: string; isolation: string }>({
    text: "SELECT current_setting('DateStyle') AS style, current_setting('default_transaction_isolation') AS isolation",
    types: DEFAULT_TYPES,
  });
  const style = rows[0]?.style ?? "";
  if (!style.startsWith("ISO")) {
    throw new ConfigError(
      field,
      `its connections show dates as DateStyle ${JSON.stringify(style)}, and the store reads them only as ISO; run SET DateStyle TO ISO on each of its connections (the pool's connect event) or give the store a connectionString`,
    );
  }
  const isolation = rows[0]?.isolation ?? "";
  if (isolation !== "read committed" && isolation !== "read uncommitted") {
    throw new ConfigError(
      field,
      `its connections run statements at ${isolation} isolation by default, where concurrent claims and completions fail with serialization errors; the store's statements need read committed: ALTER ROLE ... SET default_transaction_isolation = 'read committed' for the store's role${field === "pool" ? ", or SET it on each connection of your pool (its connect event)" : " (behind a transaction pool the store cannot set it per session)"}`,
    );
  }
}

/** The applied migration version of `names`, 0 when the migrations table does not exist. */
async function schemaVersion(
  client: Queryable,
  sql: Queries,
  names: TableNames,
  settingsField: string,
): Promise<number> {
  await assertSessionSettings(client, settingsField);
  const exists = await client.query<{ present: boolean }>({
    text: sql.migrationsTableExists,
    values: [names.migrations],
    types: DEFAULT_TYPES,
  });
  if (!exists.rows[0]?.present) return 0;
  const { rows } = await client.query<{ version: number }>({ text: sql.schemaVersion, types: DEFAULT_TYPES });
  return rows[0]?.version ?? 0;
}
