import { createPool, limitSettings, type OwnedPool, type PoolMode } from "@sched/store-postgres/connection";

/**
 * Creates the pool the leader owns when given a connection string. The leader runs one statement
 * at a time, so two connections are plenty; `timeoutMs` bounds connecting and each statement, on
 * the client and on the server (`statement_timeout`, which also frees the row lock of a renewal
 * the client gave up on), since a renewal slower than the local lease is worthless. Idle
 * connections do not keep the process alive. Behind a transaction pool (`poolMode`
 * `"transaction"`) no `statement_timeout` is sent at connection start (PgBouncer refuses it): the
 * leader sets it with `SET LOCAL` in each statement's transaction instead.
 */
export function createOwnedPool(
  connectionString: string | undefined,
  timeoutMs: number,
  poolMode: PoolMode,
): OwnedPool {
  return createPool(
    {
      connectionString,
      max: 2,
      ...limitSettings({ connectMs: timeoutMs, statementMs: timeoutMs, queryMs: timeoutMs }, poolMode),
      keepAlive: true,
      allowExitOnIdle: true,
      // Names the leader's sessions in pg_stat_activity unless the connection string names them.
      fallback_application_name: "sched-leader-postgres",
    },
    poolMode,
  );
}
