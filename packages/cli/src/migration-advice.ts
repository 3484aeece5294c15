/**
 * What `sched` says of a store whose tables are missing or behind (code `MIGRATION_REQUIRED`):
 * which tables, and the command that fixes it. The store's own message advises calls and
 * variables for application code (`store.migrate()`, `SCHEDULER_POSTGRES_AUTO_MIGRATE`); from a
 * shell the fix is `sched migrate` with the same settings.
 */
export function migrationAdvice(err: unknown): string {
  const fields = err as {
    schema?: unknown;
    tablePrefix?: unknown;
    currentVersion?: unknown;
    requiredVersion?: unknown;
    message?: unknown;
  } | null;
  const fix = "run sched migrate with the same settings, then retry";
  if (typeof fields?.schema === "string" && typeof fields.tablePrefix === "string") {
    const where = `the tables in schema "${fields.schema}" with prefix "${fields.tablePrefix}"`;
    const found =
      fields.currentVersion === 0 || typeof fields.currentVersion !== "number"
        ? "have not been created"
        : `are at migration version ${fields.currentVersion}, not ${String(fields.requiredVersion)}`;
    return `${where} ${found}: ${fix}`;
  }
  const message = typeof fields?.message === "string" ? fields.message : "the store's tables are not current";
  return `${message.split(";")[0]}: ${fix}`;
}
