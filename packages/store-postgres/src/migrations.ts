import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fillNames, type TableNames, tableNames } from "./identifiers.js";

/**
 * The migration version this version of the package needs: the number of the last file in
 * `migrations/`. Raise it with every new file.
 */
export const SCHEMA_VERSION = 19;

/** One numbered migration, with its placeholders substituted. */
export interface Migration {
  /** The version it brings the tables to (the file's number). */
  readonly version: number;
  /** The file name without `.sql`, e.g. `001_init`. */
  readonly name: string;
  /** The SQL to run, in one transaction. */
  readonly sql: string;
}

/** Options of {@link loadMigrations}. */
export interface LoadMigrationsOptions {
  /** The schema; default `"public"`. */
  schema?: string;
  /** The table prefix; default `"scheduler_"`. */
  tablePrefix?: string;
}

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * The folder of the SQL files, found relative to this module: `src/` in development and `dist/`
 * once built are both one level below the package root, which holds `migrations/`. (In the CommonJS
 * build, tsup's shims provide `import.meta.url`.)
 */
function migrationsFolder(): string {
  return fileURLToPath(new URL("../migrations/", import.meta.url));
}

let rawFiles: Array<{ version: number; name: string; text: string }> | undefined;

/** Reads the migration files once per process. */
function readMigrationFiles(): Array<{ version: number; name: string; text: string }> {
  if (rawFiles !== undefined) return rawFiles;
  const folder = migrationsFolder();
  const files = readdirSync(folder)
    .map((file) => ({ file, match: FILE_NAME.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: file.slice(0, -".sql".length),
      text: readFileSync(`${folder}${file}`, "utf8"),
    }))
    .sort((a, b) => a.version - b.version);
  files.forEach((file, i) => {
    if (file.version !== i + 1) {
      throw new Error(`@sched/store-postgres: migration ${file.name} is out of sequence (expected ${i + 1})`);
    }
  });
  if (files.length !== SCHEMA_VERSION) {
    throw new Error(
      `@sched/store-postgres: found ${files.length} migration files, but the code expects ${SCHEMA_VERSION}; the package is incomplete`,
    );
  }
  rawFiles = files;
  return files;
}

/**
 * The package's migrations with `schema` and `tablePrefix` substituted, oldest first, for teams
 * that apply migrations with their own tool. Each must run in one transaction, in order; each
 * records its version in the `<prefix>migrations` table, which is what the store checks.
 * The schema must exist (`store.migrate()` creates it; these files do not).
 *
 * @throws ConfigError when `schema` or `tablePrefix` is not a valid identifier.
 */
export function loadMigrations(options: LoadMigrationsOptions = {}): Migration[] {
  const names = tableNames(options.schema ?? "public", options.tablePrefix ?? "scheduler_");
  return renderedMigrations(names);
}

/** The migrations for already validated names. */
export function renderedMigrations(names: TableNames): Migration[] {
  return readMigrationFiles().map((file) => ({
    version: file.version,
    name: file.name,
    sql: fillNames(file.text, names),
  }));
}
