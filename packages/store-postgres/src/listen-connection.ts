import type pg from "pg";
import type { StoreConnection } from "./connection/pool.js";
import type { PostgresStoreOptions } from "./options.js";

/**
 * The settings of the store's one LISTEN connection, or `null` when the store listens nowhere.
 *
 * LISTEN needs a session of its own for as long as it listens: a transaction pool (PgBouncer in
 * `pool_mode = transaction`) hands the server session that ran LISTEN to other clients as soon as
 * the statement ends, and their notifications are never delivered to the listener. So:
 *
 * - `notify: false`: nothing listens;
 * - `listenConnectionString` given: LISTEN goes there (a direct connection to PostgreSQL), with
 *   the rest of the pool's connection settings (ssl, a password the URL lacks);
 * - `poolMode: "transaction"` without it: nothing listens, and other instances' changes are found
 *   by polling;
 * - otherwise: LISTEN goes where the pool's connections go.
 *
 * The connection is named like the store's other connections (`application_name`), unless the URL
 * names it.
 */
export function listenClientConfig(
  options: PostgresStoreOptions,
  connection: StoreConnection,
): pg.ClientConfig | null {
  if (options.notify === false) return null;
  const config: pg.ClientConfig = {
    ...connection.clientConfig,
    application_name: connection.applicationName,
    keepAlive: true,
  };
  if (options.listenConnectionString !== undefined) {
    return { ...config, connectionString: options.listenConnectionString };
  }
  return options.poolMode === "transaction" ? null : config;
}
